"""Folder → registry: deploy what the folder defines, redeploy what changed, delete what went.

Broken code or config never replaces a good version: the error is reported and the last good
version keeps serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path

from ..errors import ApiError
from ..registry.registry import Registry
from .scan import FolderError, find, names_in, read_spec

__all__ = ["FolderLoader", "Report"]

Report = Callable[[str, str, str], None]
"""report(kind, function name, message); kind is deployed · updated · deleted · error."""

_START_CONCURRENCY = 4


class FolderLoader:
    def __init__(self, registry: Registry, app_id: str, root: Path, report: Report) -> None:
        self.registry = registry
        self.app_id = app_id
        self.root = root
        self.report = report
        self._lock = asyncio.Lock()

    def known(self) -> set[str]:
        """Names of the functions this folder deployed."""
        return {fn.name for fn in self.registry.list(self.app_id) if fn.source == "folder"}

    async def load_all(self) -> None:
        names = names_in(self.root) | self.known()
        await self.reload(names, concurrency=_START_CONCURRENCY)

    async def reload(self, names: Iterable[str], *, concurrency: int = 1) -> None:
        """Bring each named function in line with the files now on disk."""
        async with self._lock:
            gate = asyncio.Semaphore(concurrency)

            async def one(name: str) -> None:
                async with gate:
                    await self._sync(name)

            await asyncio.gather(*(one(n) for n in sorted(set(names))))

    async def _sync(self, name: str) -> None:
        try:
            found = await asyncio.to_thread(find, self.root, name)
            if found is None:
                fn = self.registry.find(self.app_id, name)
                if fn is not None and fn.source == "folder":
                    self.registry.delete(self.app_id, name)
                    self.report("deleted", name, "")
                return
            spec = await asyncio.to_thread(read_spec, found)
            fn, created = await self.registry.deploy(self.app_id, spec, source="folder", entry=found.entry)
        except FolderError as exc:
            self.report("error", name, str(exc))
        except ApiError as exc:
            self.report("error", name, f"{found.entry}: {exc.message}")
        else:
            self.report("deployed" if created else "updated", name, f"v{fn.current.number}")
