"""§6 webhook signatures, called directly: deliveries signed by Stripe's and Slack's own libraries
and by GitHub's documented algorithm (its published test vector) verify; tampered, stale and
other sources' deliveries don't."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from slack_sdk.signature import SignatureVerifier
from stripe import WebhookSignature

from emulator.triggers.signatures import SignatureError, resign, sign, url_signature, verify

SECRET = "whsec_0123456789abcdef0123456789abcdef"
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
ODD = b'{ "a" :\n\t1 ,  "b": [ ]   }\r\n\r\n'
"""A raw body with odd whitespace: signatures are over the bytes, never over re-serialised JSON."""
ALL = ("github", "stripe", "slack", "generic")


def stripe_headers(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    return {"Stripe-Signature": WebhookSignature.generate_signature_header(body.decode(), secret, timestamp)}


def slack_headers(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    signature = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=body)
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": signature}


def github_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """GitHub's documented algorithm: HMAC-SHA256 of the payload, hex, after `sha256=`."""
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_github_published_test_vector() -> None:
    """The example in GitHub's "Validating webhook deliveries"."""
    headers = {"X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}
    assert verify(("github",), "It's a Secret to Everybody", headers, b"Hello, World!", now=0) == "github"
    assert sign("github", "It's a Secret to Everybody", b"Hello, World!", timestamp=0) == headers


@pytest.mark.parametrize("body", [BODY, ODD])
def test_each_providers_own_signature_verifies(body: bytes) -> None:
    now = int(time.time())
    assert verify(ALL, SECRET, stripe_headers(body, now), body, now=now) == "stripe"
    assert verify(ALL, SECRET, slack_headers(body, now), body, now=now) == "slack"
    assert verify(ALL, SECRET, github_headers(body), body, now=now) == "github"
    generic = {"X-Webhook-Signature": github_headers(body)["X-Hub-Signature-256"]}
    assert verify(ALL, SECRET, generic, body, now=now) == "generic"


def test_our_signatures_pass_the_providers_own_verifiers() -> None:
    now = int(time.time())
    stripe = sign("stripe", SECRET, ODD, timestamp=now)
    assert WebhookSignature.verify_header(ODD.decode(), stripe["Stripe-Signature"], SECRET, tolerance=300)
    slack = sign("slack", SECRET, ODD, timestamp=now)
    assert SignatureVerifier(SECRET).is_valid(ODD, slack["X-Slack-Request-Timestamp"], slack["X-Slack-Signature"])


@pytest.mark.parametrize("source", ALL)
def test_a_tampered_body_or_wrong_secret_fails(source: str) -> None:
    now = int(time.time())
    headers = sign(source, SECRET, BODY, timestamp=now)
    with pytest.raises(SignatureError, match="does not match|no v1 signature"):
        verify(ALL, SECRET, headers, BODY.replace(b"succeeded", b"failed"), now=now)
    with pytest.raises(SignatureError, match="does not match|no v1 signature"):
        verify(ALL, SECRET + "x", headers, BODY, now=now)
    with pytest.raises(SignatureError, match="does not match|no v1 signature"):
        verify(ALL, SECRET, headers, BODY + b" ", now=now)


def test_stripe_accepts_any_one_v1_and_ignores_other_schemes() -> None:
    now = int(time.time())
    good = stripe_headers(BODY, now)["Stripe-Signature"]
    header = f"t={now},v1={'0' * 64},{good.split(',')[1]},v0=abc"
    assert verify(("stripe",), SECRET, {"Stripe-Signature": header}, BODY, now=now) == "stripe"
    with pytest.raises(SignatureError, match="at least one v1"):
        verify(("stripe",), SECRET, {"Stripe-Signature": f"t={now},v0=abc"}, BODY, now=now)


def test_timestamps_outside_five_minutes_are_replays() -> None:
    now = time.time()
    old = int(now) - 301
    with pytest.raises(SignatureError, match="more than 300 s old"):
        verify(("stripe",), SECRET, stripe_headers(BODY, old), BODY, now=now)
    with pytest.raises(SignatureError, match="more than 300 s from now"):
        verify(("slack",), SECRET, slack_headers(BODY, old), BODY, now=now)
    with pytest.raises(SignatureError, match="more than 300 s from now"):
        verify(("slack",), SECRET, slack_headers(BODY, int(now) + 400), BODY, now=now)
    inside = int(now) - 290
    assert verify(("stripe",), SECRET, stripe_headers(BODY, inside), BODY, now=now) == "stripe"
    assert verify(("slack",), SECRET, slack_headers(BODY, inside), BODY, now=now) == "slack"


def test_other_sources_and_unsigned_deliveries_are_refused() -> None:
    now = int(time.time())
    with pytest.raises(SignatureError, match="a stripe delivery .* accepts only github"):
        verify(("github",), SECRET, stripe_headers(BODY, now), BODY, now=now)
    with pytest.raises(SignatureError, match="not signed: expected X-Hub-Signature-256 or X-Slack-Signature"):
        verify(("github", "slack"), SECRET, {"Content-Type": "application/json"}, BODY, now=now)
    with pytest.raises(SignatureError, match="X-Slack-Request-Timestamp"):
        verify(("slack",), SECRET, {"X-Slack-Signature": "v0=00"}, BODY, now=now)


def test_header_names_are_case_insensitive() -> None:
    now = int(time.time())
    headers = {k.lower(): v for k, v in slack_headers(BODY, now).items()}
    assert verify(("slack",), SECRET, headers, BODY, now=now) == "slack"


def test_resign_replaces_a_stale_signature_with_a_fresh_one() -> None:
    now = int(time.time())
    stale = [("Content-Type", "application/json"), *stripe_headers(BODY, now - 3600).items()]
    fresh = resign("stripe", SECRET, stale, BODY, timestamp=now)
    assert [k for k, _ in fresh] == ["Content-Type", "Stripe-Signature"]
    assert verify(("stripe",), SECRET, dict(fresh), BODY, now=now) == "stripe"


def test_url_signatures_name_one_function() -> None:
    key = b"k" * 32
    assert url_signature(key, "local", "a") == url_signature(key, "local", "a")
    assert len({url_signature(key, "local", "a"), url_signature(key, "local", "b"),
                url_signature(key, "other", "a"), url_signature(b"j" * 32, "local", "a")}) == 4
