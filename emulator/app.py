"""build_app(config): the parts of the emulator, wired once and stored under `keys`."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from .agents.action import ActionRunner
from .agents.approvals import Approvals
from .api import (action, agent_tools, connections, control, fn, functions, log_stream, login_links, s3_browse,
                  sample_events, ui)
from .api.activity import Activity
from .api.auth import Auth
from .api.middleware import error_middleware
from .clock import Clock
from .config import Config
from .folder.load import FolderLoader, Report
from .folder.status import FolderStatus
from .invoke import Invoker
from .keys import (ACTIONS, ACTIVITY, APPROVALS, AUTH, CLOCK, CONFIG, FOLDER, INVOKER, LOADER, LOGS, REGISTRY,
                   RUNTIME, TRIGGERS)
from .logstore import LogStore
from .registry.registry import Registry
from .runtime import Runtime
from .triggers.base import TriggerContext
from .triggers.running import Triggers

__all__ = ["build_app"]

_log = logging.getLogger("fnemu.folder")


def _log_report(kind: str, name: str, message: str) -> None:
    level = logging.ERROR if kind == "error" else logging.INFO
    _log.log(level, "%s %s %s", kind, name, message)


def build_app(config: Config, report: Report = _log_report) -> web.Application:
    """`report` hears about folder deploys, reloads and errors (the terminal, or logging)."""
    clock = Clock(config.clock)
    activity = Activity(clock, {fn.call_function: "refused", functions.deploy: "deploy",
                                functions.delete_function: "delete"})
    app = web.Application(middlewares=[error_middleware, activity.middleware()],
                          client_max_size=config.max_body_bytes)
    app[ACTIVITY] = activity
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
    app[APPROVALS] = Approvals(clock)
    app[ACTIONS] = ActionRunner(app[REGISTRY], app[INVOKER])
    triggers = Triggers(TriggerContext(config, clock, app[INVOKER], app[AUTH]))
    app[TRIGGERS] = triggers
    app[REGISTRY].listeners.append(triggers)
    app.add_routes(fn.routes)  # first: the hot path should not try the other patterns
    app.add_routes(action.routes)  # a fixed path: before the patterns of /v1/{app_id}/...
    app.add_routes(functions.routes)
    app.add_routes(agent_tools.routes)
    app.add_routes(control.routes)
    app.add_routes(connections.routes)
    app.add_routes(s3_browse.routes)
    log_stream.setup(app)
    login_links.setup(app)
    app.add_routes(sample_events.routes)
    ui.setup(app)

    async def stop_workers(app: web.Application) -> None:
        """Before aiohttp waits for in-flight requests: an open WebSocket, a clock advance, an S3
        event or a busy worker must not hold up a stop. The triggers stop firing first, then every
        worker is killed (each call in flight answers 502 at once)."""
        await triggers.close()
        runtime.close()

    app.on_shutdown.append(stop_workers)

    app[FOLDER] = FolderStatus(report)
    loader = None
    if config.functions_dir is not None:
        loader = FolderLoader(app[REGISTRY], config.app_id, config.functions_dir, app[FOLDER].report,
                              follow_symlinks=config.follow_symlinks)
        app[LOADER] = loader

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        watcher = None
        if loader is not None:
            if config.watch:
                from .folder.watch import watch  # here: watchfiles (1 MB) only where a folder is watched

                watcher = asyncio.create_task(watch(loader, stop))
                await asyncio.sleep(0)  # the watcher's inotify watches exist from its first step
            await loader.load_all()
        await triggers.start()
        yield
        await triggers.close()
        if loader is not None:
            await loader.close()
        stop.set()
        if watcher is not None:
            await watcher
        runtime.close()
        shutil.rmtree(code_root, ignore_errors=True)

    app.cleanup_ctx.append(lifecycle)
    return app
