"""Worker processes: the only package that knows processes and the wire format.

Everything outside sees `Runtime`: `prepare(version)` at deploy, `call(version, message, timeout)`
per invocation, `retire(version)` when replaced, `close()` at shutdown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..config import Config
from ..errors import DeployError
from .launch import LaunchSpec, launch_spec
from .pool import WorkerPool
from .worker import LoadError, Worker, WorkerResult

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["LoadError", "Runtime", "WorkerResult"]


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

    def retire(self, version: FunctionVersion, drained: Callable[[], None] | None = None) -> None:
        """Replaced or deleted: no new calls; `drained` runs once no worker of it is left."""
        pool = self._pools.pop(version.revision, None)
        if pool is not None:
            pool.retire(drained)
        elif drained is not None:
            drained()

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
            launch = functools.partial(self._launch, launch_spec(version, self._config))
            pool = WorkerPool(launch, cap=self._config.max_workers_per_function,
                              idle_seconds=self._config.idle_worker_seconds)
            self._pools[version.revision] = pool
        return pool

    async def _launch(self, spec: LaunchSpec) -> Worker:
        return await Worker.spawn(spec.argv, spec.env, spec.cwd, label=spec.label,
                                  console_cap=self._config.console_cap_bytes, memory_mb=spec.memory_mb,
                                  now=self._clock.now, load_timeout=spec.load_timeout)
