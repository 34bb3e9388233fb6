"""Saves → reloads: one watchfiles watcher for the whole folder.

Change types are not trusted (editors' atomic saves arrive as add/delete pairs): a batch only
says which names to look at again, and the loader reads what exists now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from pathlib import Path

from watchfiles import awatch

from .files import is_temp_file
from .load import FolderLoader
from .scan import CODE_SUFFIXES, names_in

__all__ = ["affected_names", "watch"]

_log = logging.getLogger("fnemu.folder")
logging.getLogger("watchfiles").setLevel(logging.WARNING)
"""Its `N changes detected` line on every save (of any file) repeats what the reload line says."""
_IGNORED_PARTS = {"node_modules", "__pycache__", ".git"}


def affected_names(root: Path, paths: Iterable[str], functions: set[str]) -> tuple[set[str], set[str]]:
    """Function names whose files a batch touched, and those of them touched through a shared
    module beside the functions (`_db.py` touches every function in the folder: single files
    import it, and `NAME/` folders reach `../_shared.mjs`)."""
    names: set[str] = set()
    shared: set[str] = set()
    for raw in paths:
        try:
            parts = Path(raw).relative_to(root).parts
        except ValueError:
            continue
        if not parts or _IGNORED_PARTS.intersection(parts):
            continue
        first = parts[0]
        if len(parts) > 1:
            if not first.startswith((".", "_")):
                names.add(first)
            else:
                shared |= functions
            continue
        if is_temp_file(first):
            continue
        stem, dot, suffix = first.rpartition(".")
        if not dot or f".{suffix}" not in {*CODE_SUFFIXES, ".json"}:
            continue
        if stem.startswith("_"):
            shared |= functions
        elif not stem.startswith("."):
            names.add(stem)
    return names | shared, shared


async def watch(loader: FolderLoader, stop: asyncio.Event) -> None:
    """Reload on every batch of changes until `stop` is set."""
    root = loader.root.resolve()
    async for changes in awatch(root, debounce=50, step=10, stop_event=stop, recursive=True):
        names, shared = affected_names(root, (path for _, path in changes), names_in(root))
        if names:
            try:
                await loader.reload(names, force=shared)
            except Exception:  # noqa: BLE001 - the watcher must outlive any one bad reload
                _log.exception("reload of %s failed", ", ".join(sorted(names)))
