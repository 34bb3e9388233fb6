"""build_app(config): the parts of the emulator, wired once and stored under `keys`."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from .api import control, fn, functions
from .api.auth import Auth
from .api.middleware import error_middleware
from .clock import Clock
from .config import Config
from .invoke import Invoker
from .keys import AUTH, CLOCK, CONFIG, INVOKER, LOGS, REGISTRY, RUNTIME
from .logstore import LogStore
from .registry.registry import Registry
from .runtime import Runtime

__all__ = ["build_app"]


def build_app(config: Config) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=config.max_body_bytes)
    clock = Clock()
    logs = LogStore(config.max_log_entries)
    runtime = Runtime(config, clock)
    code_root = Path(tempfile.mkdtemp(prefix="fnemu-code-"))
    app[CONFIG] = config
    app[CLOCK] = clock
    app[AUTH] = Auth(config.token, config.jwt_secret)
    app[LOGS] = logs
    app[RUNTIME] = runtime
    app[REGISTRY] = Registry(runtime, logs, clock, code_root)
    app[INVOKER] = Invoker(runtime, clock)
    app.add_routes(functions.routes)
    app.add_routes(fn.routes)
    app.add_routes(control.routes)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        runtime.close()
        shutil.rmtree(code_root, ignore_errors=True)

    app.cleanup_ctx.append(lifecycle)
    return app
