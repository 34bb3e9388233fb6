"""Every default and limit of the emulator, in one place."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_TOKEN = "fnemu-dev-token"
DEFAULT_APP_ID = "local"
DEFAULT_MAX_LOG_ENTRIES = 1000
DEFAULT_MAX_BODY_MB = 6.0
DEFAULT_CONSOLE_CAP_BYTES = 1024 * 1024
DEFAULT_MAX_WORKERS_PER_FUNCTION = 4
DEFAULT_IDLE_WORKER_SECONDS = 300.0
DEFAULT_REGION = "us-east-1"


def default_token() -> str:
    """`--token`, else `FNEMU_TOKEN`, else the documented default (CONTRACT §2)."""
    return os.environ.get("FNEMU_TOKEN") or DEFAULT_TOKEN


@dataclass(frozen=True, slots=True)
class Config:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str = DEFAULT_TOKEN
    app_id: str = DEFAULT_APP_ID
    functions_dir: Path | None = None
    watch: bool = True
    max_log_entries: int = DEFAULT_MAX_LOG_ENTRIES
    max_body_bytes: int = int(DEFAULT_MAX_BODY_MB * 1024 * 1024)
    console_cap_bytes: int = DEFAULT_CONSOLE_CAP_BYTES
    max_workers_per_function: int = DEFAULT_MAX_WORKERS_PER_FUNCTION
    idle_worker_seconds: float = DEFAULT_IDLE_WORKER_SECONDS
    python: str = field(default_factory=lambda: sys.executable)
    node: str = "node"
    region: str = DEFAULT_REGION
    jwt_secret: str = "fnemu-local-jwt-secret"
