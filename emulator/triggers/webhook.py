"""§6 webhook: a signed URL per function and, with a secret, each provider's signature on the body.

The URL is the function's `/fn/` URL with `?fnemu-signature=<HMAC of app and name>`: a request
without it (or with a wrong one) gets 401 before any code runs. A function that also has an http
trigger keeps its plain `/fn/` URL for that: only requests carrying the parameter are webhook
deliveries. With `secret_required` (implied by `allowed_sources`), the body must carry an accepted
source's signature made with the function's secret (triggers/signatures.py). Deliveries are POSTs.

The URL signature and the secret are derived from the emulator's signing secret and the app and
function name, so they stay the same across redeploys and restarts: a provider configured once
keeps working. The function gets the request as it came (headers, raw body, query).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from ..errors import BadRequest, MethodNotAllowed, Unauthorized
from ..urls import function_url
from .base import Admitted, Deployed, Trigger, TriggerContext, TriggerType
from .signatures import SOURCES, SignatureError, url_signature, verify

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["URL_PARAM", "WEBHOOK", "WebhookTrigger", "validate"]

URL_PARAM = "fnemu-signature"
_FIELDS = ("secret_required", "allowed_sources")


def validate(config: Mapping[str, Any], field: str) -> dict[str, Any]:
    """`{secret_required, allowed_sources?}` with defaults filled in: `allowed_sources` (a
    comma-separated list) needs the secret, and a secret alone means the `generic` scheme."""
    for key in config:
        if key not in _FIELDS:
            raise BadRequest(f"{field}.{key}: unknown webhook trigger field; allowed: {', '.join(_FIELDS)}",
                             f"{field}.{key}")
    required = config.get("secret_required")
    if required is not None and not isinstance(required, bool):
        raise BadRequest(f"{field}.secret_required: must be true or false", f"{field}.secret_required")
    raw = config.get("allowed_sources")
    if raw is None:
        return {"secret_required": True, "allowed_sources": "generic"} if required else {"secret_required": False}
    rule = f"a comma-separated list of {', '.join(SOURCES)} (e.g. \"github,stripe\")"
    names = [s.strip() for s in raw.split(",")] if isinstance(raw, str) else []
    if not names or not all(names):
        raise BadRequest(f"{field}.allowed_sources: must be {rule}", f"{field}.allowed_sources")
    for name in names:
        if name not in SOURCES:
            raise BadRequest(f"{field}.allowed_sources: unknown source {name!r}; must be {rule}",
                             f"{field}.allowed_sources")
    if required is False:
        raise BadRequest(f"{field}.secret_required: allowed_sources are checked with the webhook's secret: "
                         "leave secret_required out or set it to true", f"{field}.secret_required")
    return {"secret_required": True, "allowed_sources": ",".join(dict.fromkeys(names))}


@dataclass(frozen=True, slots=True)
class _Hook:
    """A webhook trigger prepared at deploy: what deliveries are checked against."""

    signature: str
    secret: str | None
    sources: tuple[str, ...]


class WebhookTrigger(Trigger):
    type: ClassVar[str] = "webhook"

    def __init__(self, context: TriggerContext) -> None:
        self._key = hashlib.sha256(f"fnemu-webhook:{context.auth.secret}".encode()).digest()
        self._hooks: dict[tuple[str, str], _Hook] = {}

    def attach(self, fn: Deployed) -> None:
        key = (fn.app_id, fn.name)
        trigger = fn.current.spec.trigger("webhook")
        if trigger is None:
            self._hooks.pop(key, None)
            return
        config = trigger.config
        secret = None
        if config["secret_required"]:
            digest = hmac.new(self._key, f"webhook-secret:{fn.app_id}/{fn.name}".encode(), hashlib.sha256)
            secret = "whsec_" + digest.hexdigest()[:32]
        sources = tuple(config["allowed_sources"].split(",")) if secret else ()
        self._hooks[key] = _Hook(url_signature(self._key, fn.app_id, fn.name), secret, sources)

    def detach(self, fn: Deployed) -> None:
        self._hooks.pop((fn.app_id, fn.name), None)

    def url(self, fn: Deployed, base_url: str, path: str = "/", query: str = "") -> str:
        """The webhook URL; with `path` and `query`, that of a delivery made to it (its own
        signature parameter replaced by the current one)."""
        hook = self._hooks[(fn.app_id, fn.name)]
        params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != URL_PARAM]
        suffix = "" if path == "/" else path
        return f"{function_url(base_url, fn.app_id, fn.name)}{suffix}?{urlencode([*params, (URL_PARAM, hook.signature)])}"

    def secret(self, fn: Deployed) -> str | None:
        return self._hooks[(fn.app_id, fn.name)].secret

    def render(self, fn: Deployed, base_url: str) -> dict[str, Any]:
        out = {"url": self.url(fn, base_url)}
        secret = self.secret(fn)
        if secret is not None:
            out["secret"] = secret
        return out

    def describe(self, fn: Deployed, base_url: str) -> str:
        secret = self.secret(fn)
        return self.url(fn, base_url) + (f" secret {secret}" if secret else "")

    async def check(self, fn: Deployed, request: web.Request) -> Admitted | None:
        given = request.query.get(URL_PARAM)
        if given is None and fn.current.spec.trigger("http") is not None:
            return None
        hook = self._hooks[(fn.app_id, fn.name)]
        if given is None or not hmac.compare_digest(given, hook.signature):
            raise Unauthorized(f"webhook: the URL's {URL_PARAM} is missing or wrong; deliveries go to the "
                               "url of the function's webhook trigger (fnemu webhook url NAME)")
        if request.method != "POST":
            raise MethodNotAllowed(f"webhook: deliveries are POST requests, not {request.method}", ["POST"])
        if hook.secret is None:
            return Admitted("webhook")
        try:
            source = verify(hook.sources, hook.secret, request.headers, await request.read(), now=time.time())
        except SignatureError as exc:
            raise Unauthorized(f"webhook: {exc}") from None
        return Admitted("webhook", source=source, summary=f"webhook {source}")


WEBHOOK = TriggerType("webhook", validate, WebhookTrigger)
