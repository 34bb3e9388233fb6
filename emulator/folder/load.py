"""Folder → registry: deploy what the folder defines, redeploy what changed, delete what went.

Broken code or config never replaces a good version. One rule for a function whose files do not
load, at start-up or on a save: it is listed with its `load_error` (file, line, message); the
last good version keeps serving, and a function that never loaded answers 500 load_failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Set
from dataclasses import replace
from pathlib import Path

from ..errors import ApiError, WorkerError
from ..registry.registry import Function, LoadProblem, Registry
from ..registry.snapshot import CodeFiles
from ..registry.spec import FunctionSpec, parse_spec
from .files import shared_links
from .scan import CODE_SUFFIXES, FolderError, FolderFunction, find, names_in, read_function

__all__ = ["FolderLoader", "Report", "unreadable"]

_log = logging.getLogger("fnemu.folder")

Report = Callable[[str, str, str], None]
"""report(kind, function name, message); kind is deployed · updated · deleted · error · unchanged
(the files say what already runs)."""

_LOAD_CONCURRENCY = 8
_WARM_CONCURRENCY = 2


class FolderLoader:
    def __init__(self, registry: Registry, app_id: str, root: Path, report: Report, *,
                 follow_symlinks: bool = False) -> None:
        self.registry = registry
        self.app_id = app_id
        self.root = root
        self.report = report
        self.follow_symlinks = follow_symlinks
        self._lock = asyncio.Lock()
        self._warming: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def known(self) -> set[str]:
        """Names of the functions this folder deployed."""
        return {fn.name for fn in self.registry.list(self.app_id) if fn.source == "folder"}

    def listening(self) -> None:
        """The server listens (and has printed its ready line): workers may start."""
        self._listening.set()

    async def load_all(self) -> None:
        """Register everything in the folder now and start the workers in the background once the
        server listens, so start-up does not wait for one spawn per function (nor for a fork of
        the emulator's process, 10-20 ms each). Code that turns out not to load is reported (file
        and line) and answers 500 with the runtime's message until fixed."""
        try:
            names = names_in(self.root) | self.known()
        except OSError as exc:
            unreadable(self.root, exc.strerror or str(exc))
            names = self.known()
        deployed = await self.reload(names, concurrency=_LOAD_CONCURRENCY, warm=False)
        await self.close()
        self._warming = asyncio.create_task(self._warm(deployed))

    async def reload(self, names: Iterable[str], *, concurrency: int = 1, warm: bool = True,
                     force: Set[str] = frozenset()) -> list[Function]:
        """Bring each named function in line with the files now on disk; the ones (re)deployed.
        A function whose files say what it already runs is left alone, unless it is in `force`
        (a shared module it may import changed)."""
        async with self._lock:
            gate = asyncio.Semaphore(concurrency)
            reads = await asyncio.to_thread(_read_all, self.root, sorted(set(names)), self.follow_symlinks)

            async def one(name: str, read: _Read) -> Function | None:
                async with gate:
                    return await self._sync(name, read, warm, name in force)

            done = await asyncio.gather(*(one(n, read) for n, read in reads.items()))
        return [fn for fn in done if fn is not None]

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            # a start that the stopping runtime refused is no news: the server is going away
            with contextlib.suppress(asyncio.CancelledError, WorkerError):
                await self._warming
            self._warming = None

    async def _warm(self, fns: list[Function]) -> None:
        await self._listening.wait()
        gate = asyncio.Semaphore(_WARM_CONCURRENCY)

        async def one(fn: Function) -> None:
            async with gate:
                version = fn.current
                try:
                    await self.registry.warm(fn)
                except ApiError as exc:
                    origin = version.origin or version.entry
                    self.report("error", fn.name, f"{origin}: {exc.message}")
                    if fn.current is version:
                        fn.load_error = LoadProblem(str(origin), getattr(exc, "line", None), exc.message, None)

        await asyncio.gather(*(one(fn) for fn in fns))

    async def _sync(self, name: str, read: _Read, warm: bool, force: bool) -> Function | None:
        if isinstance(read, FolderError):
            self.report("error", name, str(read))
            await self._broken(name, LoadProblem(str(read.path), read.line, read.message, None), None)
            return None
        if read is None:
            fn = self.registry.find(self.app_id, name)
            if fn is not None and fn.source == "folder":
                self.registry.delete(self.app_id, name)
                self.report("deleted", name, "")
            return None
        found, spec, files = read
        if not force and self.registry.serves(self.app_id, spec, files):
            served = self.registry.find(self.app_id, name)
            if served is not None:
                served.load_error = None  # a broken save undone (or a file readable again): its error is over
            self.report("unchanged", name, "")
            return None
        started = time.perf_counter()
        try:
            fn, created = await self.registry.deploy(self.app_id, spec, source="folder", files=files, warm=warm)
        except ApiError as exc:
            self.report("error", name, f"{found.entry}: {exc.message}")
            await self._broken(name, LoadProblem(str(found.entry), getattr(exc, "line", None), exc.message, None),
                               (spec, files))
            return None
        ready = f", ready in {(time.perf_counter() - started) * 1000:.0f} ms" if warm else ""
        self.report("deployed" if created else "updated", name, f"v{fn.current.number}{ready}")
        return fn

    async def _broken(self, name: str, problem: LoadProblem, read: tuple[FunctionSpec, CodeFiles] | None) -> None:
        """Keep `name` listed with its problem: its last good version serves on; with none, a
        version that is never run stands in for it (from the files' spec when it parsed)."""
        fn = self.registry.find(self.app_id, name)
        if fn is not None and fn.source != "folder":
            return  # an API deploy of that name keeps serving; the report says what is wrong
        if fn is not None and not fn.never_loaded:
            fn.load_error = replace(problem, serving=fn.current.number)
            return
        try:
            spec, files = read if read is not None else (_stand_in(self.root, name), None)
        except ApiError:
            return  # not a valid function name: nothing can be listed under it
        fn, _ = await self.registry.deploy(self.app_id, spec, source="folder", files=files, warm=False)
        fn.load_error = problem


def _stand_in(root: Path, name: str) -> FunctionSpec:
    """The spec a function whose files give none is listed with (it is never run)."""
    language = next((lang for suffix, lang in CODE_SUFFIXES.items() if (root / f"{name}{suffix}").is_file()),
                    "python")
    comment = "#" if language == "python" else "//"
    return parse_spec({"name": name, "language": language, "runtime": "lambda",
                       "code": f"{comment} the files of {name} do not load\n"})


_Read = tuple[FolderFunction, FunctionSpec, CodeFiles] | FolderError | None
"""A function and all its files; why they do not load; or None: the folder has no such function."""


def _read_all(root: Path, names: list[str], follow_symlinks: bool) -> dict[str, _Read]:
    """Each named function and all its files, in one trip off the event loop (at start-up, the
    whole folder: one thread hop and one look at what the functions share, not one per function)."""
    shared: list[Path] | None = None
    reads: dict[str, _Read] = {}
    for name in names:
        try:
            found = find(root, name)
            if found is None:
                reads[name] = None
                continue
            if shared is None:
                with contextlib.suppress(OSError):  # read_function reports it, naming the file
                    shared = shared_links(root)
            reads[name] = (found, *read_function(found, shared, follow_symlinks))
        except FolderError as exc:
            reads[name] = exc
    return reads


def unreadable(root: Path, why: str) -> None:
    """The line for a functions folder that cannot be listed (at start-up, or while watched)."""
    _log.warning("functions folder %s cannot be read (%s): its functions keep serving as last loaded "
                 "until it can", root, why)

