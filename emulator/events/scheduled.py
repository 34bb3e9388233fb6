"""The EventBridge "Scheduled Event" a cron trigger hands a function (CONTRACT §6).

`lambda` handlers get it as their event; `web` handlers get it as the JSON body of a POST.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from .apigw import ACCOUNT_ID

__all__ = ["scheduled_event"]


def scheduled_event(*, app_id: str, name: str, scheduled: float, region: str) -> dict[str, Any]:
    """`time` is the occurrence's scheduled time (whole seconds, as EventBridge writes it), not
    the moment it ran; `resources` names the rule, one per function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(scheduled)),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/fnemu-{app_id}-{name}"],
        "detail": {},
    }
