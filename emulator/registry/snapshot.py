"""A version's code as files: read once, compared by digest, written as that version's own snapshot.

Every worker of a version starts from its snapshot, so a worker started later (scale-out, or
replacing a crashed one) runs the files the version was made from, never files saved after it.

Folder code is written below the snapshot root at its own path (a mirror), and what it resolves
outside its own files (`node_modules`, `package.json`, shared `_modules`) is linked at the same
place in the mirror: relative imports and Node's upward package lookup work as they would beside
the originals, and Node loads a linked package from its real path. The mirror starts at the
highest folder holding a link (levels above hold nothing to resolve), or at the function's own
folder, which keeps a snapshot to a few directories (each costs a file-system write).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CodeFiles", "write_snapshot"]


@dataclass(frozen=True, slots=True)
class CodeFiles:
    """`files` maps paths relative to `home` (the absolute folder they were read from; None for
    code deployed through the API) to their bytes; `entry` is one of them. `links` are absolute
    paths the snapshot links to where they are, not copies of them. `executable` names the files
    written executable (a CGI script runs by its shebang)."""

    entry: str
    files: Mapping[str, bytes]
    home: Path | None = None
    links: tuple[Path, ...] = ()
    executable: frozenset[str] = frozenset()
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        h = hashlib.blake2b(digest_size=20)
        for path in sorted(self.files):
            data = self.files[path]
            h.update(f"{path}\0{len(data)}\0{path in self.executable:d}\0".encode())
            h.update(data)
        object.__setattr__(self, "digest", h.hexdigest())


def write_snapshot(files: CodeFiles, root: Path) -> Path:
    """Write the files into `root`, the version's own new folder; the path of the entry there.
    Every path is `root` joined with a file's path relative to its folder (or the mirror of an
    absolute path): nothing a deploy body says becomes part of a path."""
    base = min((files.home or root, *(link.parent for link in files.links)), key=lambda p: len(p.parts))
    home = root / (files.home or base).relative_to(base)
    root.mkdir(parents=True)
    made = {root}

    def place(path: Path) -> Path:
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        return path

    for relative, data in files.files.items():
        target_file = place(home / relative)
        target_file.write_bytes(data)
        if relative in files.executable:
            target_file.chmod(0o755)
    for target in files.links:
        place(root / target.relative_to(base)).symlink_to(target, target_is_directory=target.is_dir())
    return home / files.entry
