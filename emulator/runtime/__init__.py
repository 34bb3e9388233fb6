"""Worker processes: the only package that knows processes and the wire format.

Everything outside sees `Runtime`: `prepare(version)` at deploy, `call(version, request, ...)`
per invocation (a neutral request in; the worker's result and the HTTP response out: the worker's
message is built here, by the function's style), `retire(version)` when replaced, `close()` at
shutdown. A worker starts from a spare process when one fits (spares.py), else from a spawn.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..config import Config
from ..errors import DeployError, LoadError, WorkerCrashed
from ..events.request import HttpRequest
from ..registry.detect import code_suffix
from . import requirements
from .debugger import Debugger
from .launch import LaunchSpec, launch_spec
from .pool import WorkerPool
from .process import Process
from .spares import Command, Spares
from .styles import STYLES, Call, MalformedResponse, Response
from .trace import Trace
from .worker import Worker, WorkerResult

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion
    from ..registry.spec import FunctionSpec

__all__ = ["Answer", "Runtime", "Trace", "WorkerResult"]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a call came to: the worker's result and, when the handler returned, the HTTP response
    its style makes of the reply, or (`bad_response`) why the reply is not one."""

    result: WorkerResult
    response: Response | None = None
    bad_response: str | None = None


class Runtime:
    __slots__ = ("_clock", "_closed", "_config", "_debugger", "_ids", "_pools", "_spare_commands", "_spares",
                 "_warming")

    def __init__(self, config: Config, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._pools: dict[int, WorkerPool] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._debugger = Debugger(config)
        self._warming: set[asyncio.Task[None]] = set()
        """Debug workers starting after the one they replace has gone."""
        self._spares = Spares(config.idle_worker_seconds)
        self._spare_commands: dict[int, Command] = {}
        """Per revision whose workers may start from a spare, the spare's command."""

    def code_file_name(self, spec: FunctionSpec) -> str:
        """`lambda_function.py`, `main.py`, `index.mjs`...: the style's name for the file."""
        return STYLES[spec.runtime].file_stems[spec.language] + code_suffix(spec.language, spec.code)

    async def prepare(self, version: FunctionVersion) -> None:
        """Start the version's first worker: a deploy is refused (400) if its style's library is
        missing or its code does not load."""
        style = STYLES.get(version.spec.runtime)
        if style is not None and style.requires is not None:
            await requirements.check(style.name, style.requires, self._config.python)
        debug = self._debugger.wants(version)
        if debug:
            await self._debugger.check(version)
        try:
            if debug and self._debugger.replaces(version):
                await self._check_loads(version)
            else:
                await self._pool(version).warm()
        except LoadError as exc:
            self.retire(version)
            raise DeployError(exc.message, "code", line=exc.line) from None
        if debug:
            self._debugger.prepared(version)

    async def call(self, version: FunctionVersion, request: HttpRequest, *, event: dict[str, Any] | None,
                   request_id: str, now: float, timeout: float, trace: Trace) -> Answer:
        """One invocation: `request` is what the function is called with; for a non-HTTP trigger
        `event` is the platform's event (the request carries it as its JSON body), and the style
        decides which of the two its handler gets. WorkerError (LoadError) if the worker fails.
        `trace` gets the phases measured on the way."""
        style = STYLES[version.spec.runtime]
        call = Call(version, request, event, request_id, now)
        message = {"op": "invoke", "id": next(self._ids), "event": style.event(call),
                   "context": {"aws_request_id": request_id}}
        result = await self._pool(version).call(message, timeout, trace)
        if result.error is not None:
            return Answer(result)
        started = time.perf_counter()
        try:
            return Answer(result, style.response(result.value, call))
        except MalformedResponse as exc:
            return Answer(result, bad_response=str(exc))
        finally:
            trace.add("response", started)

    def retire(self, version: FunctionVersion, drained: Callable[[], None] | None = None) -> None:
        """Replaced or deleted: no new calls; `drained` runs once no worker of it is left."""
        successor = self._debugger.retired(version)
        if successor is not None:
            drained = self._then_warm(successor, drained)
        pool = self._pools.pop(version.revision, None)
        command = self._spare_commands.pop(version.revision, None)
        if command is not None:
            self._spares.unuse(command)
        if pool is not None:
            pool.retire(drained)
        elif drained is not None:
            drained()

    def debugging(self, version: FunctionVersion) -> bool:
        """Its worker runs under a debugger (its log entries say so)."""
        return self._debugger.wants(version)

    def workers(self, version: FunctionVersion) -> int:
        pool = self._pools.get(version.revision)
        return pool.size if pool else 0

    def close(self) -> None:
        """Shutdown: every worker is killed, busy ones too; later calls fail at once."""
        self._closed = True
        for task in self._warming:
            task.cancel()
        self._spares.close()
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()

    def _pool(self, version: FunctionVersion) -> WorkerPool:
        if self._closed:
            raise WorkerCrashed("fnemu is shutting down")
        pool = self._pools.get(version.revision)
        if pool is None:
            debug = self._debugger.wants(version)
            spec = launch_spec(self._debugger.source(version) if debug else version, self._config)
            command = tuple(spec.argv) if self._config.spares and spec.spare and not debug else None
            launch = functools.partial(self._launch, spec, command, version if debug else None)
            pool = WorkerPool(launch, cap=1 if debug else self._config.max_workers_per_function,
                              idle_seconds=self._config.idle_worker_seconds, max_queue=self._config.max_queue,
                              label=spec.label)
            self._pools[version.revision] = pool
            if command is not None:
                self._spares.use(command)
                self._spare_commands[version.revision] = command
        return pool

    def _refill_after(self, command: Command) -> None:
        """The next spare starts once this worker start has served its caller (a deploy, a call):
        the start runs as a task its caller awaits, and a task's done-callbacks run in the order
        they were added, so this one runs after the caller's step (a deploy's swap and answer)."""
        task = asyncio.current_task()
        assert task is not None
        task.add_done_callback(lambda _: self._spares.refill(command))

    async def _check_loads(self, version: FunctionVersion) -> None:
        """A debugged function's new version: a plain worker checks its code loads and stops; its
        debug worker starts once the previous one has gone, to listen on the port that one frees."""
        worker = await self._launch(launch_spec(self._debugger.source(version), self._config), None, None)
        worker.kill()

    def _then_warm(self, version: FunctionVersion, drained: Callable[[], None] | None) -> Callable[[], None]:
        """`drained`, then `version`'s debug worker is started (unless a call started it already)."""
        def done() -> None:
            if drained is not None:
                drained()
            if self._debugger.newest(version) and not self.workers(version):
                task = asyncio.get_running_loop().create_task(self._warm(version))
                self._warming.add(task)
                task.add_done_callback(self._warming.discard)
        return done

    async def _warm(self, version: FunctionVersion) -> None:
        try:
            await self._pool(version).warm()
        except LoadError:
            pass  # its code loaded moments ago; a call that cannot start it reports why

    async def _launch(self, spec: LaunchSpec, command: Command | None, debugged: FunctionVersion | None) -> Worker:
        """A worker for the version: from the spare of `command` if there is one (then the next
        spare starts), else spawned; `debugged`: the version, when it runs under a debugger."""
        debug = None
        if debugged is not None:
            await self._debugger.port_freed(debugged)  # a replaced debug worker may not be reaped yet
            argv, env, debug = self._debugger.start(debugged, spec)
            child = Process.spawn(argv, env, spec.cwd)
        else:
            spare = self._spares.take(command) if command is not None else None
            child = spare or Process.spawn(spec.argv, spec.env, spec.cwd)
        try:
            return await Worker.start(child, spec.load, spec.env, spec.cwd, label=spec.label,
                                      console_cap=self._config.console_cap_bytes, memory_mb=spec.memory_mb,
                                      now=self._clock.now, load_timeout=spec.load_timeout, debug=debug)
        finally:
            if command is not None:
                self._refill_after(command)
