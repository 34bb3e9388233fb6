"""The wire between the emulator and a worker process.

Two dedicated pipes per worker (never the child's stdout, which user code writes to); their fd
numbers reach the child in the environment variable `FNEMU_WORKER_FDS` as "READ,WRITE", which the
bootstrap removes at once. Each message is one frame: a 4-byte big-endian length, then that many
bytes of JSON (an object with an `op`).

A worker's command line names no function, only its bootstrap and style (a spare, started ahead of
need, is such a process waiting for its first frame): the first frame tells it which function it
serves, and nothing of the function runs before it.

Parent → child
    {"op": "load", "env": {...}, "cwd": str, "console_cap": int, "memory_mb": int,
     "entry": str, "handlers": [str] (Python), "env_names": [str] (Node)}
                                                      first, once: `env` becomes the process's
                                                      whole environment, `cwd` its directory;
                                                      console bytes per invocation, memoryLimitMb
    {"op": "invoke", "id": N, "event": ..., "context": {...}, "deadline_ms": epoch ms}
Child → parent
    {"op": "ready", "rss_limit_kb": int | null}      code loaded, handler found; with a limit
                                                      the parent kills the worker mid-call past
                                                      that RSS (Node: RLIMIT_AS is unusable)
    {"op": "load_error", "message": str, "line": int | null}
    {"op": "log", "id": N, "level": str, "message": str}    one console line (N is 0 at load)
    {"op": "result", "id": N, "value": any, "memory_kb": int, "truncated": bool}
    {"op": "error", "id": N, "message": str, "traceback": str, "memory_kb": int,
     "oom": bool, "truncated": bool}                  after "oom": true the child exits
    {"op": "late", "request_id": str, "kind": str, "message": str, "traceback": str}
                                                      an error the function's code raised after
                                                      that invocation had answered (Node: an
                                                      uncaught exception, a rejection with no
                                                      handler); the worker goes on serving

The bootstrap files in `bootstrap/` mirror this and import nothing from the emulator.
"""

from __future__ import annotations

import struct
from typing import Any

import orjson

__all__ = ["ENV_FDS", "FrameReader", "encode"]

ENV_FDS = "FNEMU_WORKER_FDS"
_HEADER = struct.Struct(">I")
_OPTS = orjson.OPT_NON_STR_KEYS


def encode(message: dict[str, Any]) -> bytes:
    """One frame: length prefix and JSON body in a single buffer (one write, one wake-up)."""
    body = orjson.dumps(message, option=_OPTS)
    return _HEADER.pack(len(body)) + body


class FrameReader:
    """Splits a byte stream into decoded messages; keeps the partial tail between reads."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        buf = self._buf
        buf += data
        out: list[dict[str, Any]] = []
        pos = 0
        end = len(buf)
        while end - pos >= 4:
            (size,) = _HEADER.unpack_from(buf, pos)
            if end - pos - 4 < size:
                break
            out.append(orjson.loads(memoryview(buf)[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        if pos:
            del buf[:pos]
        return out
