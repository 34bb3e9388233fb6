"""A folder function's files, read once: what its version is a snapshot of, and what it reaches outside them.

    NAME/     every file below it (its version changes when any of them does), except
              node_modules, __pycache__, .git and editor temp files; node_modules are linked
    NAME.py   the file and its NAME.json
Outside its files, a function still resolves the shared `_modules` and shared packages (folders
with no entry file) of the functions folder, and Node's `node_modules` / `package.json` there and
in every folder above: those are linked into the snapshot, not copied (a save to a shared module
redeploys instead: watch.py). Other functions are not linked: a folder of N functions would cost
N² links.

A function's own files (its entry, its NAME.json, its NAME/ folder and everything below it but
node_modules) that are symlinks resolving outside the functions folder are refused unless
`follow_symlinks` (`fnemu start --follow-symlinks`): what the folder holds is what is deployed.
Links that stay inside the folder are read as the files they point to. (`fnemu deploy PATH` reads
what PATH links to: it names its files itself.)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..registry.snapshot import CodeFiles

__all__ = ["FOLDER_ENTRIES", "LinkOutside", "is_temp_file", "read_files", "shared_links"]

FOLDER_ENTRIES = ("index.mjs", "index.js", "index.cjs", "main.py", "handler.py")
"""The entry files of a `NAME/` function, in the order they are looked for."""

_TEMP_SUFFIXES = (".swp", ".swx", ".swo", ".tmp", "~", "___jb_tmp___", "___jb_old___")
_SKIPPED_DIRS = {"__pycache__", ".git"}
_LINKED_DIRS = {"node_modules"}
_RESOLVED_ABOVE = ("node_modules", "package.json")
"""What Node looks for in each folder above a module (packages, and `"type"` for `.js`)."""


class LinkOutside(Exception):
    """A function's file is a symlink that resolves outside the functions folder."""

    def __init__(self, link: Path, target: Path) -> None:
        super().__init__(f"{link} -> {target}")
        self.link = link
        self.target = target


def _check_link(path: Path, root: Path) -> None:
    """LinkOutside if `path` is (or passes through) a symlink resolving outside `root` (resolved)."""
    target = path.resolve()
    if not target.is_relative_to(root):
        raise LinkOutside(path, target)


def is_temp_file(name: str) -> bool:
    """An editor's or tool's scratch file (vim's swap files and its `4913` probe, emacs' `#x#`
    and `.#x`, backups `x~`, JetBrains' safe-write files): never part of a function."""
    return name.startswith((".#", "#")) or name.endswith(_TEMP_SUFFIXES) or name.isdigit()


def read_files(entry: Path, config: Path | None, folder: Path | None,
               shared: list[Path] | None = None, follow_symlinks: bool = True) -> CodeFiles:
    """Every file of the function with `entry` (in `folder`, or alone with its `config`), as it is
    now, with the links its snapshot needs (`shared`: `shared_links` of its functions folder, when
    the caller reads many functions at once). OSError if one cannot be read; without
    `follow_symlinks`, LinkOutside for a symlink out of the functions folder."""
    if folder is not None:
        root = folder.parent.resolve()
        home = root / folder.name
        files, links = _read_tree(home, None if follow_symlinks else root)
        relative_entry = entry.relative_to(folder).as_posix()
    else:
        root = home = entry.parent.resolve()
        own = [p for p in (entry, config) if p is not None]
        if not follow_symlinks:
            for path in own:
                _check_link(path, root)
        files = {p.name: p.read_bytes() for p in own}
        links, relative_entry = [], entry.name
    links += [path for path in (shared_links(root) if shared is None else shared) if path != home]
    executable = frozenset(path for path in files if os.access(home / path, os.X_OK))
    return CodeFiles(relative_entry, files, home, tuple(links), executable)


def shared_links(root: Path) -> list[Path]:
    """What any function of the functions folder `root` resolves outside its own files: the shared
    `_modules` and packages there, and Node's `node_modules` / `package.json` there and above."""
    with os.scandir(root) as entries:  # not iterdir: one Path per link, not per entry
        links = [Path(e.path) for e in entries if e.name not in _SKIPPED_DIRS
                 and (e.name.startswith("_") or e.name in _RESOLVED_ABOVE or _shared_package(e))]
    return links + [above / name for above in root.parents for name in _RESOLVED_ABOVE if (above / name).exists()]


def _shared_package(entry: os.DirEntry[str]) -> bool:
    """A folder beside the functions that is not one of them (no entry file, no function.json)."""
    return (entry.is_dir() and not entry.name.startswith(".")
            and not any(os.path.exists(os.path.join(entry.path, name))
                        for name in (*FOLDER_ENTRIES, "function.json")))


def _read_tree(home: Path, inside: Path | None) -> tuple[dict[str, bytes], list[Path]]:
    """`inside`: the folder every symlink met must resolve into (None: any)."""
    files: dict[str, bytes] = {}
    links: list[Path] = []
    if inside is not None:
        _check_link(home, inside)
    for directory, dirs, names in os.walk(home):
        here = Path(directory)
        for name in list(dirs):
            path = here / name
            if name in _SKIPPED_DIRS or name in _LINKED_DIRS or path.is_symlink():
                dirs.remove(name)
                if name not in _SKIPPED_DIRS:
                    if inside is not None and name not in _LINKED_DIRS:
                        _check_link(path, inside)
                    links.append(path)
        for name in names:
            path = here / name
            if inside is not None and path.is_symlink():
                _check_link(path, inside)
            if not is_temp_file(name) and path.is_file():  # not a FIFO, socket or dangling link
                files[path.relative_to(home).as_posix()] = path.read_bytes()
    return files, links
