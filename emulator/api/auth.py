"""Who is calling: the developer token (constant-time) or an end-user JWT (CONTRACT §2).

End-user tokens are HS256 JWTs signed with the emulator's secret (`--jwt-secret`, else random per
start), so any JWT library verifies them with that secret. A token that does not pass is named
with its reason (expired, wrong key, `alg: none`, malformed), which the 401 carries.
"""

from __future__ import annotations

import functools
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from ..errors import BadRequest, Forbidden, Unauthorized
from ..registry.spec import as_integer

__all__ = ["ALGORITHM", "ISSUER", "MIN_SECRET_BYTES", "Auth", "Caller", "Identity", "secret_problem"]

Caller = Literal["developer", "user", "anonymous"]
ISSUER = "fnemu"
ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
"""HS256 wants a key of at least 32 bytes (RFC 7518 §3.2); PyJWT warns below that."""
MAX_TTL = 31_536_000
_RESERVED = {"exp", "iat", "nbf", "iss"}


@functools.cache
def _jwt() -> ModuleType:
    """PyJWT, imported on first use: it pulls in `cryptography` (~60 ms of start-up) and most
    sessions never see an end-user token."""
    import jwt

    return jwt


def secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign tokens, or None."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"must be at least {MIN_SECRET_BYTES} bytes (HS256, RFC 7518 §3.2)"
    return None


@dataclass(frozen=True, slots=True)
class Identity:
    """A classified Authorization header: `claims` for a valid end-user token, `reason` why the
    credentials were not accepted (anonymous callers)."""

    kind: Caller
    claims: Mapping[str, Any] | None = None
    reason: str = ""

    def unauthorized(self, what: str) -> Unauthorized:
        return Unauthorized(f"{what}: {self.reason}", challenge=self.challenge())

    def challenge(self) -> str:
        """RFC 6750 §3: no error code when no credentials were sent."""
        if self.reason == _NO_CREDENTIALS:
            return f'Bearer realm="{ISSUER}"'
        return f'Bearer realm="{ISSUER}", error="invalid_token", error_description="{self.reason}"'


_NO_CREDENTIALS = "no Authorization: Bearer <token> header"
_DEVELOPER = Identity("developer")
_NOBODY = Identity("anonymous", reason=_NO_CREDENTIALS)


class Auth:
    __slots__ = ("_key", "_token", "secret")

    def __init__(self, token: str, secret: str | None = None) -> None:
        self._token = token.encode()
        self.secret = secret or secrets.token_urlsafe(MIN_SECRET_BYTES)
        problem = secret_problem(self.secret)
        if problem:
            raise ValueError(f"jwt secret: {problem}")
        self._key = self.secret.encode()

    def identify(self, authorization: str | None) -> Identity:
        """Classify an Authorization header; invalid credentials are anonymous, with the reason."""
        if not authorization:
            return _NOBODY
        if authorization[:7].lower() != "bearer ":
            return Identity("anonymous", reason="the Authorization header is not a Bearer token")
        token = authorization[7:].strip()
        # aiohttp keeps header bytes that are not UTF-8 as surrogates
        if hmac.compare_digest(token.encode("utf-8", "surrogateescape"), self._token):
            return _DEVELOPER
        if not token.isascii() or token.count(".") != 2:
            return Identity("anonymous", reason="the token is neither the developer token nor a JWT")
        claims, reason = self.verify(token)
        if claims is None:
            return Identity("anonymous", reason=reason)
        return Identity("user", claims)

    def caller(self, authorization: str | None) -> Caller:
        """The caller's kind alone, for checks that need neither the claims nor the reason."""
        return self.identify(authorization).kind

    def require_developer(self, authorization: str | None) -> None:
        identity = self.identify(authorization)
        if identity.kind == "user":
            raise Forbidden("an end-user token cannot make management calls; use the developer token")
        if identity.kind != "developer":
            raise Unauthorized("missing or invalid developer token: send Authorization: Bearer <token> "
                               "(--token, FNEMU_TOKEN, default fnemu-dev-token)",
                               challenge=identity.challenge())

    def issue(self, sub: Any, claims: Any, ttl: Any = 3600, ttl_field: str = "ttl") -> str:
        if not isinstance(sub, str) or not sub:
            raise BadRequest("sub: required, a non-empty string", "sub")
        if claims is None:
            claims = {}
        if not isinstance(claims, Mapping):
            raise BadRequest("claims: must be an object", "claims")
        seconds = as_integer(ttl)
        if seconds is None or not 1 <= seconds <= MAX_TTL:
            raise BadRequest(f"{ttl_field}: must be an integer number of seconds from 1 to {MAX_TTL}", ttl_field)
        now = int(time.time())
        payload = {k: v for k, v in claims.items() if k not in _RESERVED}
        payload.update({"sub": sub, "iat": now, "exp": now + seconds, "iss": ISSUER})
        token: str = _jwt().encode(payload, self._key, algorithm=ALGORITHM)
        return token

    def verify(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """(claims, "") for a valid end-user token, else (None, why not)."""
        jwt = _jwt()
        try:
            claims: dict[str, Any] = jwt.decode(token, self._key, algorithms=[ALGORITHM], issuer=ISSUER,
                                                options={"require": ["exp", "iat", "iss", "sub"]})
        except jwt.ExpiredSignatureError:
            return None, "the token has expired"
        except jwt.InvalidSignatureError:
            return None, "the token's signature does not match this emulator's secret"
        except jwt.InvalidAlgorithmError:
            return None, f"the token's algorithm is not accepted (only {ALGORITHM})"
        except jwt.MissingRequiredClaimError as exc:
            return None, f"the token has no {exc.claim} claim"
        except jwt.InvalidIssuerError:
            return None, f"the token's issuer is not {ISSUER}"
        except jwt.ImmatureSignatureError:
            return None, "the token is not valid yet"
        except jwt.PyJWTError:
            return None, "the token is malformed"
        return claims, ""
