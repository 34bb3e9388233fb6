"""Every default and limit of the emulator, in one place."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
DEFAULT_TOKEN = "fnemu-dev-token"
DEFAULT_APP_ID = "local"
DEFAULT_MAX_LOG_ENTRIES = 1000
DEFAULT_MAX_BODY_MB = 6.0
DEFAULT_CONSOLE_CAP_BYTES = 1024 * 1024
DEFAULT_MAX_WORKERS_PER_FUNCTION = 4
DEFAULT_MAX_QUEUE = 256
DEFAULT_IDLE_WORKER_SECONDS = 300.0
DEFAULT_REGION = "us-east-1"
DEFAULT_WEBSOCKET_HEARTBEAT_S = 30.0
S3_ACCESS_KEY_ID = "fnemu"
S3_SECRET_ACCESS_KEY = "fnemu-secret"
"""The fake S3 accepts any keys; these are the ones functions and `GET /_emu/s3` hand out."""


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
    follow_symlinks: bool = False
    """Load a folder function whose files are symlinks to outside the functions folder (refused
    otherwise: folder/files.py)."""
    max_log_entries: int = DEFAULT_MAX_LOG_ENTRIES
    max_body_bytes: int = int(DEFAULT_MAX_BODY_MB * 1024 * 1024)
    console_cap_bytes: int = DEFAULT_CONSOLE_CAP_BYTES
    max_workers_per_function: int = DEFAULT_MAX_WORKERS_PER_FUNCTION
    max_queue: int = DEFAULT_MAX_QUEUE
    """Callers of one function that may wait for a free worker (all `max_workers_per_function`
    busy); past it a caller gets 429 at once rather than piling up."""
    idle_worker_seconds: float = DEFAULT_IDLE_WORKER_SECONDS
    spares: bool = True
    """Keep a spare worker process per start command in use (runtime/spares.py): a worker start is
    then a load, not a spawn, for one idle process per language (10-50 MB each)."""
    python: str = field(default_factory=lambda: sys.executable)
    node: str = "node"
    region: str = DEFAULT_REGION
    websocket_heartbeat_s: float = DEFAULT_WEBSOCKET_HEARTBEAT_S
    """A ping every this many seconds on each open WebSocket; one not answered within half of it
    closes the socket (an idle client that vanished without a close frame)."""
    jwt_secret: str | None = None
    """Signs end-user tokens (HS256, at least 32 bytes); None: a random one per start."""
    clock: str = "real"
    """`real` (follows the wall clock), `frozen` or `frozen=ISO`: see clock.parse_clock."""
    s3_port: int = 0
    """The fake S3's port on 127.0.0.1; 0 picks a free one when the Config is made."""
    debug: frozenset[str] = frozenset()
    """Names of functions whose worker runs under a debugger (besides those whose config says
    `"debug": true`): see runtime/debugger.py."""
    debug_wait: bool = False
    """A debug worker's first call waits until a debugger has attached."""
    debug_port: int | None = None
    """First port tried for debug workers; None: 5678 for Python (debugpy's), 9229 for Node
    (the inspector's); 0: any free port."""

    def __post_init__(self) -> None:
        """Workers get the S3 endpoint in their environment from the first deploy on, before the
        (lazily started) S3 listens: so a port 0 becomes a real one here, once."""
        if self.s3_port == 0:
            object.__setattr__(self, "s3_port", free_port())

    @property
    def s3_endpoint_url(self) -> str:
        return f"http://{DEFAULT_HOST}:{self.s3_port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((DEFAULT_HOST, 0))
        port: int = sock.getsockname()[1]
        return port
