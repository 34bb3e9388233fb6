"""What is deployed: apps → functions → versions. Deploys, updates, env patches, soft deletes."""

from __future__ import annotations

import asyncio
import functools
import itertools
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from ..clock import Clock, iso
from ..errors import NotFound
from ..logstore import FunctionLog, LogStore
from ..urls import function_url
from .snapshot import CodeFiles, write_snapshot
from .spec import FunctionSpec

__all__ = ["Function", "FunctionVersion", "LoadProblem", "Registry", "RegistryListener", "VersionHost"]

Source = Literal["api", "folder"]


@dataclass(frozen=True, slots=True)
class FunctionVersion:
    """One immutable revision: what workers are started from. `number` is the user-visible
    version; `revision` is unique per emulator run (an env patch makes a new revision, which
    shares its predecessor's snapshot). `entry` is the entry file in the `snapshot` folder;
    `origin` the file it was read from (folder functions), which errors name."""

    app_id: str
    name: str
    revision: int
    number: int
    spec: FunctionSpec
    entry: Path
    env: Mapping[str, str]
    snapshot: Path
    digest: str
    origin: Path | None

    @property
    def label(self) -> str:
        return f"{self.app_id}/{self.name}@{self.number}"


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """Why a folder function's files do not load now. `serving` is the last good version, still
    serving, or None when none ever loaded (calls then answer 500 load_failed)."""

    file: str
    line: int | None
    message: str
    serving: int | None

    def describe(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message, "servingVersion": self.serving}


@dataclass(slots=True)
class Function:
    app_id: str
    name: str
    current: FunctionVersion
    log: FunctionLog
    source: Source
    created_at: float
    updated_at: float
    load_error: LoadProblem | None = None
    """Set while the function's folder files do not load (cleared by the next good deploy)."""

    @property
    def never_loaded(self) -> bool:
        """Its files do not load and no version of it ever did: calls answer 500 load_failed."""
        return self.load_error is not None and self.load_error.serving is None

    def defined_by(self) -> str | None:
        """The folder file that defines this function (None for an API deploy)."""
        if self.source != "folder":
            return None
        if self.current.origin is not None:
            return str(self.current.origin)
        return None if self.load_error is None else self.load_error.file

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
            "debug": spec.debug,
            "version": self.current.number,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "url": url,
            "source": self.source,
            "loadError": None if self.load_error is None else self.load_error.to_json(),
        }
        if detail:
            out["code"] = spec.code
            out["metrics"] = self.log.metrics()
        return out


class VersionHost(Protocol):
    """What runs versions (the runtime): checks a new one loads, and retires replaced ones,
    telling `drained` once none of their workers is left."""

    def code_file_name(self, spec: FunctionSpec) -> str:
        """The platform's conventional file name for code deployed through the API (never the
        function's own name: a function named `fastapi` must not shadow the package it imports)."""
        ...

    async def prepare(self, version: FunctionVersion) -> None: ...

    def retire(self, version: FunctionVersion, drained: Callable[[], None] | None = None) -> None: ...


class RegistryListener(Protocol):
    """Told of every change (the self-firing triggers): `preparing` before a create or update is
    accepted (start what its triggers need, off the loop), `attached` after, `detached` after a
    delete."""

    async def preparing(self, spec: FunctionSpec) -> None: ...

    def attached(self, fn: Function) -> None: ...

    def detached(self, fn: Function) -> None: ...


class Registry:
    __slots__ = ("_apps", "_clock", "_code_root", "_host", "_locks", "_logs", "_revisions", "_snapshot_users",
                 "listeners")

    def __init__(self, host: VersionHost, logs: LogStore, clock: Clock, code_root: Path) -> None:
        self._host = host
        self._logs = logs
        self._clock = clock
        self._code_root = code_root
        """Every version's snapshot is `code_root/r{revision}`; removed with the emulator."""
        self._snapshot_users: dict[Path, int] = {}
        """Live revisions per snapshot; it is removed when the last has no worker left."""
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

    def all(self) -> list[Function]:
        return [fn for app in self._apps.values() for fn in app.values()]

    def list(self, app_id: str) -> list[Function]:
        return sorted(self._apps.get(app_id, {}).values(), key=lambda f: f.name)

    async def deploy(self, app_id: str, spec: FunctionSpec, *, source: Source = "api",
                     files: CodeFiles | None = None, warm: bool = True) -> tuple[Function, bool]:
        """Create or update; the new version serves only once its code has loaded.

        `files` are the function's files (folder functions); without them the version is
        `spec.code` alone, stored under its platform's conventional file name. Returns the
        function and whether it was created. An omitted `envVars` keeps the current values
        (they are never returned, so a client cannot send them back)."""
        name = spec.name
        if files is None:
            file_name = self._host.code_file_name(spec)
            files = CodeFiles(file_name, {file_name: spec.code.encode()})
        async with self._lock(app_id, name):
            existing = self.find(app_id, name)
            env = spec.env if spec.env is not None else (existing.current.env if existing else {})
            spec = replace(spec, env=None)
            number = existing.current.number + 1 if existing else 1
            version = await self._new_version(app_id, spec, number, env, files)
            for listener in self.listeners:
                await listener.preparing(spec)
            if warm:
                try:
                    await self._host.prepare(version)
                except BaseException:
                    self._retire(version)
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
            current.load_error = None
            self._retire(old)
            self._tell_attached(current)
            return current, False

    def serves(self, app_id: str, spec: FunctionSpec, files: CodeFiles) -> bool:
        """Whether the function already runs exactly this spec from these files (a save that
        changed nothing, or the tail of a burst already deployed, needs no new version)."""
        fn = self.find(app_id, spec.name)
        return (fn is not None and fn.current.digest == files.digest and fn.current.origin == _origin(files)
                and fn.current.spec == replace(spec, env=None) and dict(fn.current.env) == dict(spec.env or {}))

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
            self._snapshot_users[old.snapshot] += 1
            fn.updated_at = self._clock.now()
            self._retire(old)
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

    async def _new_version(self, app_id: str, spec: FunctionSpec, number: int, env: Mapping[str, str],
                           files: CodeFiles) -> FunctionVersion:
        revision = next(self._revisions)
        snapshot = self._code_root / f"r{revision}"
        self._snapshot_users[snapshot] = 1
        try:
            entry = await asyncio.to_thread(write_snapshot, files, snapshot)
        except BaseException:
            self._release(snapshot)
            raise
        return FunctionVersion(app_id, spec.name, revision, number, spec, entry, dict(env), snapshot,
                               files.digest, _origin(files))

    def _retire(self, version: FunctionVersion) -> None:
        """No new calls; its snapshot goes once its last worker has (in-flight calls finish first)."""
        self._host.retire(version, lambda: self._release(version.snapshot))

    def _release(self, snapshot: Path) -> None:
        users = self._snapshot_users[snapshot] - 1
        if users:
            self._snapshot_users[snapshot] = users
            return
        del self._snapshot_users[snapshot]
        asyncio.get_running_loop().run_in_executor(None, functools.partial(shutil.rmtree, snapshot, ignore_errors=True))


def _origin(files: CodeFiles) -> Path | None:
    return None if files.home is None else files.home / files.entry
