"""Who is calling: the developer token (constant-time) or an end-user JWT (CONTRACT §2)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections.abc import Mapping
from types import ModuleType
from typing import Any, Literal

from ..errors import BadRequest, Forbidden, Unauthorized
from ..registry.spec import as_integer

__all__ = ["Auth", "Caller"]

Caller = Literal["developer", "user", "anonymous"]
_ALGORITHM = "HS256"
_RESERVED = {"exp", "iat", "nbf", "iss"}


@functools.cache
def _jwt() -> ModuleType:
    """PyJWT, imported on first use: it pulls in `cryptography` (~60 ms of start-up) and most
    sessions never see an end-user token."""
    import jwt

    return jwt


class Auth:
    __slots__ = ("_key", "_token")

    def __init__(self, token: str, secret: str) -> None:
        self._token = token.encode()
        self._key = hashlib.sha256(secret.encode()).digest()
        """HS256 wants a key of at least 32 bytes (RFC 7518 §3.2), whatever the secret's length."""

    def caller(self, authorization: str | None) -> Caller:
        """Classify an Authorization header; invalid credentials count as anonymous."""
        if not authorization or not authorization[:7].lower() == "bearer ":
            return "anonymous"
        token = authorization[7:].strip()
        # aiohttp keeps header bytes that are not UTF-8 as surrogates
        if hmac.compare_digest(token.encode("utf-8", "surrogateescape"), self._token):
            return "developer"
        if token.isascii() and token.count(".") == 2 and self.verify(token) is not None:
            return "user"
        return "anonymous"

    def require_developer(self, authorization: str | None) -> None:
        caller = self.caller(authorization)
        if caller == "user":
            raise Forbidden("an end-user token cannot make management calls; use the developer token")
        if caller != "developer":
            raise Unauthorized("missing or invalid developer token: send Authorization: Bearer <token> "
                               "(--token, FNEMU_TOKEN, default fnemu-dev-token)")

    def issue(self, sub: Any, claims: Any, expires_in: Any = 3600) -> str:
        if not isinstance(sub, str) or not sub:
            raise BadRequest("sub: required, a non-empty string", "sub")
        if claims is None:
            claims = {}
        if not isinstance(claims, Mapping):
            raise BadRequest("claims: must be an object", "claims")
        seconds = as_integer(expires_in)
        if seconds is None or not 1 <= seconds <= 31_536_000:
            raise BadRequest("expiresIn: must be an integer number of seconds from 1 to 31536000", "expiresIn")
        now = int(time.time())
        payload = {k: v for k, v in claims.items() if k not in _RESERVED}
        payload.update({"sub": sub, "iat": now, "exp": now + seconds, "iss": "fnemu"})
        token: str = _jwt().encode(payload, self._key, algorithm=_ALGORITHM)
        return token

    def verify(self, token: str) -> dict[str, Any] | None:
        jwt = _jwt()
        try:
            claims: dict[str, Any] = jwt.decode(token, self._key, algorithms=[_ALGORITHM],
                                                options={"require": ["exp"]})
            return claims
        except jwt.PyJWTError:
            return None
