"""§6 webhook signatures: each provider's scheme, to sign a delivery and to check one. Pure: no I/O.

Every scheme is HMAC-SHA256 over the raw body bytes, as received (whitespace and key order
included: nothing is parsed or re-serialised first), hex-encoded and compared in constant time.

- `github`: `X-Hub-Signature-256: sha256=<hmac(secret, body)>` (GitHub's "Validating webhook
  deliveries"). No timestamp: GitHub does not sign one.
- `stripe`: `Stripe-Signature: t=<unix time>,v1=<hmac(secret, "<t>.<body>")>[,v1=...]` (Stripe's
  "Verify webhook signatures"; any one `v1` may match, other schemes such as `v0` are ignored).
  Refused when `t` is more than 5 minutes in the past, as Stripe's libraries do.
- `slack`: `X-Slack-Request-Timestamp: <unix time>` and `X-Slack-Signature:
  v0=<hmac(secret, "v0:<t>:<body>")>` (Slack's "Verifying requests from Slack"). Refused when the
  timestamp is more than 5 minutes away from now, either way, as Slack's guide does.
- `generic`: `X-Webhook-Signature: sha256=<hmac(secret, body)>`, for senders of one's own.

`now` is the wall clock (`time.time()`), passed in: a provider stamps deliveries with its own real
clock, so moving the emulator clock (`/_emu/clock/*`) never makes a fresh delivery look stale.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping

__all__ = ["HEADERS", "SOURCES", "TOLERANCE_S", "SignatureError", "resign", "sign", "url_signature", "verify"]

SOURCES = ("github", "stripe", "slack", "generic")
TOLERANCE_S = 300
"""Stripe's and Slack's window: five minutes."""

HEADERS = {
    "github": "X-Hub-Signature-256",
    "stripe": "Stripe-Signature",
    "slack": "X-Slack-Signature",
    "generic": "X-Webhook-Signature",
}
"""The header that marks a delivery as signed by each source."""
_SLACK_TIMESTAMP = "X-Slack-Request-Timestamp"

_Check = Callable[[str, str, Mapping[str, str], bytes, float], None]
"""(secret, the signature header's value, every header lower-cased, body, now) → None or SignatureError."""


class SignatureError(Exception):
    """A delivery that does not verify; the message says why, for the 401."""


def _hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def url_signature(key: bytes, app_id: str, name: str) -> str:
    """The signature a webhook URL carries: it names one function of one app."""
    return hmac.new(key, f"webhook-url:{app_id}/{name}".encode(), hashlib.sha256).hexdigest()[:32]


def sign(source: str, secret: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    """The signature headers `source` would send with `body` at `timestamp` (unix seconds)."""
    if source == "github":
        return {HEADERS["github"]: "sha256=" + _hmac(secret, body)}
    if source == "stripe":
        return {HEADERS["stripe"]: f"t={timestamp},v1={_hmac(secret, f'{timestamp}.'.encode() + body)}"}
    if source == "slack":
        return {_SLACK_TIMESTAMP: str(timestamp),
                HEADERS["slack"]: "v0=" + _hmac(secret, f"v0:{timestamp}:".encode() + body)}
    if source == "generic":
        return {HEADERS["generic"]: "sha256=" + _hmac(secret, body)}
    raise ValueError(f"unknown webhook source {source!r}; one of {', '.join(SOURCES)}")


def resign(source: str, secret: str, headers: list[tuple[str, str]], body: bytes, *,
           timestamp: int) -> list[tuple[str, str]]:
    """A logged delivery's headers with every signature dropped and a fresh one of `source` added:
    what a replay sends (a Stripe or Slack delivery's own timestamp has expired by then)."""
    dropped = {h.lower() for h in (*HEADERS.values(), _SLACK_TIMESTAMP)}
    kept = [(k, v) for k, v in headers if k.lower() not in dropped]
    return kept + list(sign(source, secret, body, timestamp=timestamp).items())


def verify(allowed: tuple[str, ...], secret: str, headers: Mapping[str, str], body: bytes, *,
           now: float) -> str:
    """The source among `allowed` whose signature the delivery carries and which verifies;
    SignatureError otherwise (no signature, another source's, a wrong one, or a stale one)."""
    lower = {k.lower(): v for k, v in headers.items()}
    for source in allowed:
        value = lower.get(HEADERS[source].lower())
        if value is not None:
            _CHECKS[source](secret, value, lower, body, now)
            return source
    others = [s for s in SOURCES if s not in allowed and HEADERS[s].lower() in lower]
    if others:
        raise SignatureError(f"a {others[0]} delivery ({HEADERS[others[0]]}), but this webhook accepts only "
                             f"{', '.join(allowed)}")
    expected = " or ".join(HEADERS[s] for s in allowed)
    raise SignatureError(f"the delivery is not signed: expected {expected}")


def _hex_signature(value: str, prefix: str, header: str) -> str:
    if not value.startswith(prefix):
        raise SignatureError(f"{header} must be {prefix}<hex HMAC-SHA256>")
    return value[len(prefix):]


def _check_body(source: str) -> _Check:
    """GitHub's scheme and the generic one: `sha256=` and the HMAC of the body alone."""
    header = HEADERS[source]

    def check(secret: str, value: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
        given = _hex_signature(value, "sha256=", header)
        if not hmac.compare_digest(given, _hmac(secret, body)):
            raise SignatureError(f"{header} does not match the body and the webhook's secret")

    return check


def _check_stripe(secret: str, value: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    timestamp: int | None = None
    candidates: list[str] = []
    for item in value.split(","):
        key, _, part = item.strip().partition("=")
        if key == "t" and part.isdigit():
            timestamp = int(part)
        elif key == "v1":
            candidates.append(part)
    if timestamp is None or not candidates:
        raise SignatureError("Stripe-Signature must carry t=<timestamp> and at least one v1=<signature>")
    expected = _hmac(secret, f"{timestamp}.".encode() + body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no v1 signature in Stripe-Signature matches the body and the webhook's secret")
    if timestamp < now - TOLERANCE_S:
        raise SignatureError(f"Stripe-Signature's timestamp {timestamp} is more than {TOLERANCE_S} s old "
                             "(a replay?)")


def _check_slack(secret: str, value: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    stamp = headers.get(_SLACK_TIMESTAMP.lower(), "")
    if not stamp.isdigit():
        raise SignatureError(f"a Slack delivery needs {_SLACK_TIMESTAMP} (unix seconds)")
    if abs(now - int(stamp)) > TOLERANCE_S:
        raise SignatureError(f"{_SLACK_TIMESTAMP} {stamp} is more than {TOLERANCE_S} s from now (a replay?)")
    given = _hex_signature(value, "v0=", HEADERS["slack"])
    if not hmac.compare_digest(given, _hmac(secret, f"v0:{stamp}:".encode() + body)):
        raise SignatureError(f"{HEADERS['slack']} does not match the body and the webhook's secret")


_CHECKS: dict[str, _Check] = {"github": _check_body("github"), "stripe": _check_stripe, "slack": _check_slack,
                              "generic": _check_body("generic")}
