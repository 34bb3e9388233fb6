"""What is deployed: apps → functions → versions. Deploys, updates, env patches, soft deletes."""

from __future__ import annotations

import asyncio
import itertools
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from ..clock import Clock, iso
from ..errors import NotFound
from ..logstore import FunctionLog, LogStore
from ..urls import function_url
from .detect import entry_suffix
from .spec import FunctionSpec

__all__ = ["Function", "FunctionVersion", "Registry", "RegistryListener", "VersionHost"]

Source = Literal["api", "folder"]


@dataclass(frozen=True, slots=True)
class FunctionVersion:
    """One immutable revision: what workers are started from. `number` is the user-visible
    version; `revision` is unique per emulator run (an env patch makes a new revision)."""

    app_id: str
    name: str
    revision: int
    number: int
    spec: FunctionSpec
    entry: Path
    env: Mapping[str, str]

    @property
    def label(self) -> str:
        return f"{self.app_id}/{self.name}@{self.number}"


@dataclass(slots=True)
class Function:
    app_id: str
    name: str
    current: FunctionVersion
    log: FunctionLog
    source: Source
    created_at: float
    updated_at: float

    def to_json(self, base_url: str, *, detail: bool = False) -> dict[str, Any]:
        spec = self.current.spec
        url = function_url(base_url, self.app_id, self.name)
        out: dict[str, Any] = {
            "name": self.name,
            "description": spec.description,
            "language": spec.language,
            "runtime": spec.runtime,
            "eventFormat": spec.event_format,
            "envVars": sorted(self.current.env),
            "timeoutMs": spec.timeout_ms,
            "memoryLimitMb": spec.memory_mb,
            "triggers": [t.to_json() for t in spec.triggers],
            "agent_tool": spec.agent_tool,
            "agent_tool_description": spec.agent_tool_description,
            "agent_tool_mode": spec.agent_tool_mode,
            "agent_tool_exposed_to": spec.agent_tool_exposed_to,
            "version": self.current.number,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "url": url,
            "source": self.source,
        }
        if detail:
            out["code"] = spec.code
            out["metrics"] = self.log.metrics()
        return out


class VersionHost(Protocol):
    """What runs versions (the runtime): checks a new one loads, and retires replaced ones."""

    async def prepare(self, version: FunctionVersion) -> None: ...

    def retire(self, version: FunctionVersion) -> None: ...


class RegistryListener(Protocol):
    """Told of every change (the self-firing triggers): `attached` after a create or update has
    been accepted, `detached` after a delete."""

    def attached(self, fn: Function) -> None: ...

    def detached(self, fn: Function) -> None: ...


class Registry:
    __slots__ = ("_apps", "_clock", "_code_root", "_host", "_locks", "_logs", "_revisions", "listeners")

    def __init__(self, host: VersionHost, logs: LogStore, clock: Clock, code_root: Path) -> None:
        self._host = host
        self._logs = logs
        self._clock = clock
        self._code_root = code_root
        self._apps: dict[str, dict[str, Function]] = {}
        self._revisions = itertools.count(1)
        self.listeners: list[RegistryListener] = []
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        """One per name, created before the function is, so concurrent first deploys queue too."""

    def get(self, app_id: str, name: str) -> Function:
        fn = self._apps.get(app_id, {}).get(name)
        if fn is None:
            raise NotFound(f"function {name!r} not found in app {app_id!r}", "name")
        return fn

    def find(self, app_id: str, name: str) -> Function | None:
        return self._apps.get(app_id, {}).get(name)

    def list(self, app_id: str) -> list[Function]:
        return sorted(self._apps.get(app_id, {}).values(), key=lambda f: f.name)

    def all(self) -> list[Function]:
        return [fn for app in self._apps.values() for fn in app.values()]

    async def deploy(self, app_id: str, spec: FunctionSpec, *, source: Source = "api",
                     entry: Path | None = None, warm: bool = True) -> tuple[Function, bool]:
        """Create or update; the new version serves only once its code has loaded.

        Returns the function and whether it was created. An omitted `envVars` keeps the
        current values (they are never returned, so a client cannot send them back)."""
        name = spec.name
        async with self._lock(app_id, name):
            existing = self.find(app_id, name)
            env = spec.env if spec.env is not None else (existing.current.env if existing else {})
            spec = replace(spec, env=None)
            number = existing.current.number + 1 if existing else 1
            version = self._new_version(app_id, spec, number, env, entry)
            if warm:
                try:
                    await self._host.prepare(version)
                except BaseException:
                    self._discard(version)
                    raise
            now = self._clock.now()
            current = self.find(app_id, name)
            if current is None:
                fn = Function(app_id, name, version, self._logs.open(app_id, name), source, now, now)
                self._apps.setdefault(app_id, {})[name] = fn
                self._tell_attached(fn)
                return fn, True
            old = current.current
            current.current = version
            current.updated_at = now
            current.source = source
            self._retire(old)
            self._tell_attached(current)
            return current, False

    def serves(self, app_id: str, spec: FunctionSpec, entry: Path) -> bool:
        """Whether the function already runs exactly this spec from this entry file (a save that
        changed nothing, or the tail of a burst already deployed, needs no new version)."""
        fn = self.find(app_id, spec.name)
        return (fn is not None and fn.current.entry == entry and fn.current.spec == replace(spec, env=None)
                and dict(fn.current.env) == dict(spec.env or {}))

    async def warm(self, fn: Function) -> None:
        """Start the current version's first worker (for deploys made with warm=False);
        DeployError if its code does not load. Nothing for a version already replaced."""
        version = fn.current
        if self.find(fn.app_id, fn.name) is fn:
            await self._host.prepare(version)

    async def set_env(self, app_id: str, name: str, patch: Mapping[str, str | None]) -> Function:
        """Merge env values (None deletes); the next invocation starts a worker with them."""
        async with self._lock(app_id, name):
            fn = self.get(app_id, name)
            env = dict(fn.current.env)
            for key, value in patch.items():
                if value is None:
                    env.pop(key, None)
                else:
                    env[key] = value
            old = fn.current
            fn.current = replace(old, revision=next(self._revisions), env=env)
            fn.updated_at = self._clock.now()
            self._host.retire(old)
        return fn

    def delete(self, app_id: str, name: str) -> None:
        fn = self.get(app_id, name)
        del self._apps[app_id][name]
        self._logs.retire(app_id, name)
        self._retire(fn.current)
        for listener in self.listeners:
            listener.detached(fn)

    def delete_where(self, source: Source) -> None:
        for fn in [f for f in self.all() if f.source == source]:
            self.delete(fn.app_id, fn.name)

    def _tell_attached(self, fn: Function) -> None:
        for listener in self.listeners:
            listener.attached(fn)

    def _lock(self, app_id: str, name: str) -> asyncio.Lock:
        return self._locks.setdefault((app_id, name), asyncio.Lock())

    def _new_version(self, app_id: str, spec: FunctionSpec, number: int, env: Mapping[str, str],
                     entry: Path | None) -> FunctionVersion:
        revision = next(self._revisions)
        if entry is None:
            folder = self._code_root / app_id / spec.name / f"r{revision}"
            folder.mkdir(parents=True, exist_ok=True)
            entry = folder / f"{spec.name}{entry_suffix(spec.language, spec.code)}"
            entry.write_text(spec.code, encoding="utf-8")
        return FunctionVersion(app_id, spec.name, revision, number, spec, entry, dict(env))

    def _discard(self, version: FunctionVersion) -> None:
        if version.entry.is_relative_to(self._code_root):
            shutil.rmtree(version.entry.parent, ignore_errors=True)

    def _retire(self, version: FunctionVersion) -> None:
        self._host.retire(version)
        self._discard(version)
