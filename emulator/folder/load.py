"""Folder → registry: deploy what the folder defines, redeploy what changed, delete what went.

Broken code or config never replaces a good version: the error is reported and the last good
version keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Set
from pathlib import Path

from ..errors import ApiError
from ..registry.registry import Function, Registry
from ..registry.snapshot import CodeFiles
from ..registry.spec import FunctionSpec
from .scan import FolderError, FolderFunction, find, names_in, read_function

__all__ = ["FolderLoader", "Report"]

Report = Callable[[str, str, str], None]
"""report(kind, function name, message); kind is deployed · updated · deleted · error · unchanged
(the files say what already runs)."""

_LOAD_CONCURRENCY = 8
_WARM_CONCURRENCY = 2


class FolderLoader:
    def __init__(self, registry: Registry, app_id: str, root: Path, report: Report) -> None:
        self.registry = registry
        self.app_id = app_id
        self.root = root
        self.report = report
        self._lock = asyncio.Lock()
        self._warming: asyncio.Task[None] | None = None

    def known(self) -> set[str]:
        """Names of the functions this folder deployed."""
        return {fn.name for fn in self.registry.list(self.app_id) if fn.source == "folder"}

    async def load_all(self) -> None:
        """Register everything in the folder now and start the workers in the background, so
        start-up does not wait for one spawn per function. Code that turns out not to load is
        reported (file and line) and answers 500 with the runtime's message until fixed."""
        names = names_in(self.root) | self.known()
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

            async def one(name: str) -> Function | None:
                async with gate:
                    return await self._sync(name, warm, name in force)

            done = await asyncio.gather(*(one(n) for n in sorted(set(names))))
        return [fn for fn in done if fn is not None]

    async def close(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
            self._warming = None

    async def _warm(self, fns: list[Function]) -> None:
        gate = asyncio.Semaphore(_WARM_CONCURRENCY)

        async def one(fn: Function) -> None:
            async with gate:
                try:
                    await self.registry.warm(fn)
                except ApiError as exc:
                    self.report("error", fn.name, f"{fn.current.origin or fn.current.entry}: {exc.message}")

        await asyncio.gather(*(one(fn) for fn in fns))

    async def _sync(self, name: str, warm: bool, force: bool) -> Function | None:
        try:
            read = await asyncio.to_thread(_read, self.root, name)
        except FolderError as exc:
            self.report("error", name, str(exc))
            return None
        if read is None:
            fn = self.registry.find(self.app_id, name)
            if fn is not None and fn.source == "folder":
                self.registry.delete(self.app_id, name)
                self.report("deleted", name, "")
            return None
        found, spec, files = read
        if not force and self.registry.serves(self.app_id, spec, files):
            self.report("unchanged", name, "")  # a broken save undone: its error is over
            return None
        try:
            fn, created = await self.registry.deploy(self.app_id, spec, source="folder", files=files, warm=warm)
        except ApiError as exc:
            self.report("error", name, f"{found.entry}: {exc.message}")
            return None
        self.report("deployed" if created else "updated", name, f"v{fn.current.number}")
        return fn


def _read(root: Path, name: str) -> tuple[FolderFunction, FunctionSpec, CodeFiles] | None:
    """The function called `name` and all its files, in one trip off the event loop."""
    found = find(root, name)
    return None if found is None else (found, *read_function(found))
