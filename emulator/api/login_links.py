"""One-time login links to the UI (`fnemu demo` prints one): a code that a browser trades, once,
for the developer token, so the token itself never appears in a link, a history or a screen share.

`POST /_emu/login-links` (developer token) makes a code; the UI at `/_emu/ui/login?code=CODE`
trades it with `POST /_emu/ui/login {"code"}` for the token and keeps it for the tab, as its login
field does. The code is spent by that first trade: a second one answers 410, and the page asks for
the token instead.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from ..errors import BadRequest, Gone, NotFound
from ..keys import AUTH, CONFIG
from .body import json_response, read_json

__all__ = ["LoginLinks", "setup"]

routes = web.RouteTableDef()
LOGIN_PAGE = "/_emu/ui/login"


class LoginLinks:
    """The codes made and not yet traded, and those traded (to tell a used link from a wrong one)."""

    __slots__ = ("_open", "_spent")

    def __init__(self) -> None:
        self._open: set[str] = set()
        self._spent: set[str] = set()

    def make(self) -> str:
        code = secrets.token_urlsafe(24)
        self._open.add(code)
        return code

    def spend(self, code: str) -> None:
        """Trade `code` once; Gone when it was traded before, NotFound when it was never made."""
        given = code.encode()
        found = next((c for c in self._open if hmac.compare_digest(c.encode(), given)), None)
        if found is not None:
            self._open.discard(found)
            self._spent.add(found)
            return
        if any(hmac.compare_digest(c.encode(), given) for c in self._spent):
            raise Gone("code: this login link was already used; log in with the developer token", "code")
        raise NotFound("code: not a login link of this emulator (links end when it stops); "
                       "log in with the developer token", "code")


LINKS = web.AppKey("LOGIN_LINKS", LoginLinks)


@routes.post("/_emu/login-links")
async def make_link(request: web.Request) -> web.Response:
    """A new one-time link: its `code` and the UI `path` that uses it."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    code = request.app[LINKS].make()
    return json_response({"code": code, "path": f"{LOGIN_PAGE}?code={code}"}, 201)


@routes.post(LOGIN_PAGE)
async def trade(request: web.Request) -> web.Response:
    """Public (the code is the credential): the developer token for an unused code."""
    body = await read_json(request)
    extra = next((k for k in body if k != "code"), None) if isinstance(body, dict) else None
    if extra is not None:
        raise BadRequest(f'{extra}: unknown field; the body is {{"code": "..."}}', extra)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code:
        raise BadRequest('code: required, the code of a login link; the body is {"code": "..."}', "code")
    request.app[LINKS].spend(code)
    return json_response({"token": request.app[CONFIG].token}, headers={"Cache-Control": "no-store"})


def setup(app: web.Application) -> None:
    app[LINKS] = LoginLinks()
    app.add_routes(routes)
