"""Worker processes: the only package that knows processes and the wire format.

Everything outside sees `Runtime`: `prepare(version)` at deploy, `call(version, message, timeout)`
per invocation, `retire(version)` when replaced, `close()` at shutdown.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..config import Config
from ..errors import DeployError
from .platform_env import platform_env
from .pool import WorkerPool
from .worker import LoadError, Worker, WorkerResult

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["LoadError", "Runtime", "WorkerResult"]

_BOOTSTRAP = Path(__file__).parent / "bootstrap"
_HANDLERS = {("python", "lambda"): ("lambda_handler", "handler")}
_LOAD_TIMEOUT_FLOOR = 10.0


class Runtime:
    __slots__ = ("_clock", "_config", "_pools")

    def __init__(self, config: Config, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._pools: dict[int, WorkerPool] = {}

    async def prepare(self, version: FunctionVersion) -> None:
        """Start the version's first worker: a deploy is refused (400) if its code does not load."""
        try:
            await self._pool(version).warm()
        except LoadError as exc:
            self.retire(version)
            raise DeployError(exc.message, "code") from None

    async def call(self, version: FunctionVersion, message: dict[str, Any], timeout: float) -> WorkerResult:
        return await self._pool(version).call(message, timeout)

    def retire(self, version: FunctionVersion) -> None:
        pool = self._pools.pop(version.revision, None)
        if pool is not None:
            pool.retire()

    def workers(self, version: FunctionVersion) -> int:
        pool = self._pools.get(version.revision)
        return pool.size if pool else 0

    def close(self) -> None:
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()

    def _pool(self, version: FunctionVersion) -> WorkerPool:
        pool = self._pools.get(version.revision)
        if pool is None:
            launch = functools.partial(self._launch, *self._command(version))
            pool = WorkerPool(launch, cap=self._config.max_workers_per_function,
                              idle_seconds=self._config.idle_worker_seconds)
            self._pools[version.revision] = pool
        return pool

    def _command(self, version: FunctionVersion) -> tuple[list[str], dict[str, str], str, str, float]:
        """Everything a spawn needs, computed once per revision."""
        spec = version.spec
        handlers = _HANDLERS.get((spec.language, spec.runtime))
        if handlers is None:
            raise DeployError(
                f"runtime: {spec.language} functions in the {spec.runtime} style are not available in "
                f"this version of fnemu (available: python lambda)", "runtime")
        entry = str(version.entry)
        code_dir = str(version.entry.parent)
        argv = [self._config.python, str(_BOOTSTRAP / "python_worker.py"), spec.runtime, entry,
                ",".join(handlers)]
        env = platform_env(style=spec.runtime, language=spec.language, name=version.name,
                           memory_mb=spec.memory_mb, region=self._config.region, code_dir=code_dir,
                           handler=f"{version.entry.stem}.{handlers[0]}", user_env=version.env)
        load_timeout = max(spec.timeout_ms / 1000, _LOAD_TIMEOUT_FLOOR)
        return argv, env, code_dir, version.label, load_timeout

    async def _launch(self, argv: list[str], env: dict[str, str], cwd: str, label: str,
                      load_timeout: float) -> Worker:
        return await Worker.spawn(argv, env, cwd, label=label, console_cap=self._config.console_cap_bytes,
                                  now=self._clock.now, load_timeout=load_timeout)
