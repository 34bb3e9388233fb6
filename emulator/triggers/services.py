"""SERVICES: the triggers that follow the registry, each built from the TriggerContext.

Adding one is a module in this package and a line here. cron and s3_upload fire on their own;
websocket keeps the connections that `/fn/` upgrades open (http and webhook need no service).
"""

from __future__ import annotations

from collections.abc import Callable

from .base import TriggerContext, TriggerService
from .cron import CronService
from .s3_upload import S3UploadService
from .websocket import WebSocketService

__all__ = ["SERVICES"]

SERVICES: dict[str, Callable[[TriggerContext], TriggerService]] = {
    "cron": CronService,
    "s3_upload": S3UploadService,
    "websocket": WebSocketService,
}
