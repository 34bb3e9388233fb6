"""Saves → reloads: one watchfiles watcher for the whole folder.

Change types are not trusted (editors' atomic saves arrive as add/delete pairs): a batch only
says which names to look at again, and the loader reads what exists now.

The folder itself is looked at after every batch and every half second: one that goes away has its
functions removed and is waited for; one that cannot be listed keeps its functions as last loaded.
Either way one line on stderr says so, and another when it is back, with everything in it loaded
again (a folder made anew in its place is watched anew).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from watchfiles import awatch

from .files import is_temp_file
from .load import FolderLoader, unreadable
from .scan import CODE_SUFFIXES, names_in

__all__ = ["affected_names", "watch"]

_log = logging.getLogger("fnemu.folder")
logging.getLogger("watchfiles").setLevel(logging.WARNING)
"""Its `N changes detected` line on every save (of any file) repeats what the reload line says."""
_IGNORED_PARTS = {"node_modules", "__pycache__", ".git"}
_LOOK_EVERY_MS = 500
"""How often the folder itself is looked at when nothing changes in it."""

Look = tuple[int, int] | str
"""The folder as last looked at: its (device, inode) when it can be listed, otherwise why not."""


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
        if len(parts) > 1 or ("." not in first and not is_temp_file(first)):  # no dot: a NAME/ folder
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
    seen = look(root)
    while not stop.is_set():
        if isinstance(seen, str):  # gone, or unreadable from the start: nothing to watch yet
            seen = await _come_back(loader, root, seen, stop)
            continue
        watched = seen
        async with contextlib.aclosing(awatch(root, debounce=50, step=10, stop_event=stop, recursive=True,
                                              rust_timeout=_LOOK_EVERY_MS, yield_on_timeout=True,
                                              ignore_permission_denied=True)) as batches:
            async for changes in batches:
                now = look(root)
                if now != seen:
                    await _changed(loader, root, seen, now)
                    seen = now
                    if isinstance(now, tuple) and now != watched:
                        break  # a new folder in the old one's place: watch it instead
                if isinstance(now, str):
                    if not root.is_dir():
                        break
                    continue
                try:
                    names, shared = affected_names(root, (path for _, path in changes), names_in(root))
                except OSError:
                    continue  # it has just become unreadable: the next look says so
                if names:
                    await _reload(loader, names, shared)


def look(root: Path) -> Look:
    """The folder now (a look, not a read: cheap enough for every batch)."""
    try:
        status = os.stat(root)
        with os.scandir(root):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return status.st_dev, status.st_ino


async def _changed(loader: FolderLoader, root: Path, was: Look, now: Look) -> None:
    """One line for the folder's change; its functions follow it."""
    if isinstance(now, str):
        if root.is_dir():
            unreadable(root, now)
            return
        _log.warning("functions folder %s is gone: its functions are removed until it comes back", root)
        await _reload(loader, loader.known(), frozenset())
        return
    if isinstance(was, tuple):
        _log.warning("functions folder %s was replaced: loading the new one", root)
    else:
        _log.warning("functions folder %s is back: loading it", root)
    try:
        names = names_in(root)
    except OSError:
        return  # unreadable again at once: the next look says so
    await _reload(loader, names | loader.known(), frozenset())


async def _come_back(loader: FolderLoader, root: Path, why: str, stop: asyncio.Event) -> Look:
    """Wait until the folder can be listed again (or for `stop`), then load it."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _LOOK_EVERY_MS / 1000)
        now = look(root)
        if isinstance(now, tuple):
            await _changed(loader, root, why, now)
            return now
    return why


async def _reload(loader: FolderLoader, names: set[str], shared: set[str] | frozenset[str]) -> None:
    try:
        await loader.reload(names, force=shared)
    except Exception:  # noqa: BLE001 - the watcher must outlive any one bad reload
        _log.exception("reload of %s failed", ", ".join(sorted(names)))
