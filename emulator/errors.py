"""The emulator's error tree.

    FnemuError
    ├── ApiError(status, code, message, field=None)   rendered only by api/middleware.py
    │   ├── BadRequest 400 ── DeployError (code does not load: runtime message + line)
    │   ├── Unauthorized 401 · Forbidden 403 · NotFound 404
    │   ├── MethodNotAllowed 405 · Conflict 409 · Gone 410 · PayloadTooLarge 413
    │   └── TooManyRequests 429 (a function's queue of callers waiting for a worker is full)
    └── WorkerError(message, console, memory_kb)       raised in runtime/, turned into a result by invoke.py
        └── WorkerTimeout (→504) · WorkerOutOfMemory (→500) · WorkerCrashed (→502) · LoadError (→500)

Code that runs before user code raises an ApiError; a worker failure never reaches the HTTP edge
as an exception.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "ConsoleLine",
    "DeployError",
    "FnemuError",
    "Forbidden",
    "Gone",
    "LoadError",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unauthorized",
    "WorkerCrashed",
    "WorkerError",
    "WorkerOutOfMemory",
    "WorkerTimeout",
]

ConsoleLine = tuple[str, str, float]
"""(level, message, epoch seconds) of one line of a function's console output."""


class FnemuError(Exception):
    """Base of every error fnemu raises on purpose."""


class ApiError(FnemuError):
    status = 500
    code = "internal"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}

    def headers(self) -> dict[str, str] | None:
        """Headers the status requires (Allow, WWW-Authenticate)."""
        return None


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class DeployError(BadRequest):
    code = "deploy_failed"

    def __init__(self, message: str, field: str | None = None, *, line: int | None = None) -> None:
        super().__init__(message, field)
        self.line = line


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str, field: str | None = None, *, challenge: str = 'Bearer realm="fnemu"') -> None:
        super().__init__(message, field)
        self.challenge = challenge

    def headers(self) -> dict[str, str] | None:
        return {"WWW-Authenticate": self.challenge}


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, allow: list[str] | None = None) -> None:
        super().__init__(message)
        self.allow = allow or []

    def headers(self) -> dict[str, str] | None:
        return {"Allow": ", ".join(self.allow)} if self.allow else None


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Gone(ApiError):
    """Something that existed and has ended (a closed WebSocket connection)."""

    status = 410
    code = "gone"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(ApiError):
    """Raised before any code runs: the caller may try again after `retry_after` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)}


class WorkerError(FnemuError):
    """A worker could not produce a result; `status` is what the caller gets, `failure` what the
    invocation records. `console` is what the invocation printed before it failed, `memory_kb` its
    peak RSS (0 when unknown)."""

    status = 502
    failure = "crashed"

    def __init__(self, message: str, *, console: list[ConsoleLine] | None = None, memory_kb: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.console: list[ConsoleLine] = [] if console is None else console
        self.memory_kb = memory_kb


class WorkerTimeout(WorkerError):
    status = 504
    failure = "timeout"


class WorkerOutOfMemory(WorkerError):
    status = 500
    failure = "out_of_memory"


class WorkerCrashed(WorkerError):
    status = 502


class LoadError(WorkerError):
    """The function's code did not load: the runtime's message, with the line when known."""

    status = 500
    failure = "load_failed"

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
