"""SERVICES: the triggers that fire on their own, each built from the TriggerContext.

Adding one is a module in this package and a line here (http, webhook and websocket fire from
the `/fn/` edge instead).
"""

from __future__ import annotations

from collections.abc import Callable

from .base import TriggerContext, TriggerService
from .cron import CronService
from .s3_upload import S3UploadService

__all__ = ["SERVICES"]

SERVICES: dict[str, Callable[[TriggerContext], TriggerService]] = {
    "cron": CronService,
    "s3_upload": S3UploadService,
}
