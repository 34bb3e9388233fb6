"""Sample webhook deliveries as each provider shapes them, for `fnemu webhook send` without `--data`:
the body and the headers (the signature aside: triggers/signatures.py adds it)."""

from __future__ import annotations

import secrets
import uuid

import orjson

__all__ = ["delivery"]

_DEFAULT_EVENT = {"github": "ping", "stripe": "payment_intent.succeeded", "slack": "app_mention"}


def delivery(source: str | None, event: str | None, body: bytes | None, *,
             timestamp: int) -> tuple[bytes, dict[str, str]]:
    """`body` (when given) is sent as it is; `event` is GitHub's `X-GitHub-Event`, and the type of
    the sample body of the others. `source` None: a generic delivery."""
    kind = event or _DEFAULT_EVENT.get(source or "", "test")
    headers = {"Content-Type": "application/json"}
    sample: dict[str, object]
    if source == "github":
        headers.update({"User-Agent": "GitHub-Hookshot/fnemu", "X-GitHub-Event": kind,
                        "X-GitHub-Delivery": str(uuid.uuid4())})
        sample = {"zen": "Keep it logically awesome.", "hook_id": 1}
    elif source == "stripe":
        headers["User-Agent"] = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
        sample = {"id": f"evt_{secrets.token_hex(12)}", "object": "event", "created": timestamp, "type": kind,
                  "livemode": False, "data": {"object": {"id": f"pi_{secrets.token_hex(12)}",
                                                         "object": "payment_intent"}}}
    elif source == "slack":
        headers["User-Agent"] = "Slackbot 1.0 (+https://api.slack.com/robots)"
        sample = {"type": "event_callback", "team_id": "T0000000001", "event_id": f"Ev{secrets.token_hex(5)}",
                  "event_time": timestamp, "event": {"type": kind, "text": "hello"}}
    else:
        sample = {"type": kind, "id": secrets.token_hex(8), "created": timestamp}
    return (orjson.dumps(sample) if body is None else body), headers
