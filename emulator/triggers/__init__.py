"""Triggers: TRIGGERS is the one table of the trigger types this version runs (STYLE B5).

A new trigger is one module in this package (its pure `validate`, its `Trigger` class and its
`TriggerType` line), one entry here and one test module. The order matters for the triggers
fired by a request: `api/fn.py` asks them in this order, and http, which takes any request, last.
"""

from __future__ import annotations

from typing import Any

from . import cron, http, s3_upload, webhook, websocket
from .base import TriggerType

__all__ = ["TRIGGERS", "TRIGGER_TYPES"]

TRIGGERS: dict[str, TriggerType[Any]] = {t.name: t for t in (
    websocket.WEBSOCKET,
    webhook.WEBHOOK,
    http.HTTP,
    cron.CRON,
    s3_upload.S3_UPLOAD,
)}

TRIGGER_TYPES = ("http", "cron", "s3_upload", "webhook", "websocket")
"""Every type of the platform (seed 002); those missing from TRIGGERS are refused with a clear 400."""
