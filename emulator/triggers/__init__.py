"""Triggers: every one validates its config here and fires through `invoke.py`.

TRIGGERS maps each trigger type this version runs to its config validator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import cron, http, s3_upload, websocket

__all__ = ["TRIGGERS", "TRIGGER_TYPES"]

Validator = Callable[[Mapping[str, Any], str], dict[str, Any]]

TRIGGERS: dict[str, Validator] = {
    "cron": cron.validate,
    "http": http.validate,
    "s3_upload": s3_upload.validate,
    "websocket": websocket.validate,
}

TRIGGER_TYPES = ("http", "cron", "s3_upload", "webhook", "websocket")
"""Every type of the platform (seed 002); those missing from TRIGGERS are refused with a clear 400."""
