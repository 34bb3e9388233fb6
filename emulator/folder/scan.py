"""Which functions a folder defines, and the deploy spec each file set amounts to (pure, no registry).

    NAME.py / NAME.js / NAME.mjs / NAME.cjs   one function, config in NAME.json beside it
    NAME.cgi                                  a CGI script run by its shebang (runtime cgi)
    NAME/                                     entry index.mjs, index.js, index.cjs, main.py or
                                              handler.py (or "entry" in NAME/function.json); NAME/.env
    _NAME.*, .NAME, node_modules, __pycache__ not functions (shared modules, tooling)
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ApiError
from ..registry.snapshot import CodeFiles
from ..registry.spec import FunctionSpec, parse_spec, validate_name
from .files import FOLDER_ENTRIES, LinkOutside, read_files

__all__ = ["FolderError", "FolderFunction", "find", "names_in", "read_body", "read_function", "read_spec"]

CODE_SUFFIXES = {".py": "python", ".js": "node", ".mjs": "node", ".cjs": "node", ".cgi": "python"}
"""The language each kind of file is deployed as. A `.cgi` script runs by its own shebang: its
function says `python` (the CGI runner's language) unless the shebang names node."""
_IGNORED_DIRS = {"node_modules", "__pycache__"}


class FolderError(Exception):
    """A problem in the folder, shown to the user with the file it is in."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class FolderFunction:
    name: str
    entry: Path
    config: Path | None
    folder: Path | None

    @property
    def language(self) -> str:
        return CODE_SUFFIXES[self.entry.suffix]


def _ignored(name: str) -> bool:
    return name.startswith((".", "_", "#")) or name.endswith("~") or name in _IGNORED_DIRS


def names_in(root: Path) -> set[str]:
    """Names of everything in the folder that could be a function."""
    names: set[str] = set()
    if not root.is_dir():
        return names
    for child in root.iterdir():
        if _ignored(child.name):
            continue
        if child.is_dir():
            names.add(child.name)
        elif child.suffix in CODE_SUFFIXES:
            names.add(child.stem)
    return names


def find(root: Path, name: str) -> FolderFunction | None:
    """The function called `name` in the folder now, None if there is none (a folder with no
    entry file is a shared package, not a function). FolderError if it is ambiguous, invalid or
    cannot be read."""
    try:
        return _find(root, name)
    except OSError as exc:
        raise FolderError(Path(exc.filename or root / name), f"cannot read: {exc.strerror}") from None


def _find(root: Path, name: str) -> FolderFunction | None:
    folder = root / name
    files = [root / f"{name}{suffix}" for suffix in CODE_SUFFIXES if (root / f"{name}{suffix}").is_file()]
    if folder.is_dir():
        config = folder / "function.json"
        entry_name = _read_config(config).get("entry") if config.is_file() else None
        if entry_name is not None:
            if (not isinstance(entry_name, str) or not (folder / entry_name).is_file()
                    or Path(entry_name).is_absolute() or ".." in Path(entry_name).parts):
                raise FolderError(config, f"entry: {entry_name!r} is not a file in {folder}")
            entry = folder / entry_name
            if entry.suffix not in CODE_SUFFIXES:
                raise FolderError(config, f"entry: {entry_name!r} must end in {', '.join(CODE_SUFFIXES)}")
        else:
            found = next((folder / e for e in FOLDER_ENTRIES if (folder / e).is_file()), None)
            if found is None:
                return None
            entry = found
        files.append(entry)
        config_path: Path | None = config if config.is_file() else None
        folder_path: Path | None = folder
    elif files:
        entry = files[0]
        json_config = root / f"{name}.json"
        config_path = json_config if json_config.is_file() else None
        folder_path = None
    else:
        return None
    if len(files) > 1:
        raise FolderError(root, f"{', '.join(f.name for f in files)} all define the function {name!r}; keep one")
    try:
        validate_name(name)
    except ApiError as exc:
        raise FolderError(entry, f"{exc.message} (the file name is the function name)") from None
    return FolderFunction(name, entry, config_path, folder_path)


def read_function(fn: FolderFunction, shared: list[Path] | None = None,
                  follow_symlinks: bool = True) -> tuple[FunctionSpec, CodeFiles]:
    """The validated spec and every file of the function, read once as they are now (`shared`: as
    `read_files` takes it); without `follow_symlinks` (the served folder), a file linking out of
    the folder is a FolderError."""
    try:
        files = read_files(fn.entry, fn.config, fn.folder, shared, follow_symlinks)
    except OSError as exc:
        raise FolderError(Path(exc.filename or fn.entry), f"cannot read: {exc.strerror}") from None
    except LinkOutside as exc:
        raise FolderError(exc.link, f"a symlink to {exc.target}, outside the functions folder: not loaded "
                          "(fnemu start --follow-symlinks loads it)") from None
    return read_spec(fn, files), files


def read_body(fn: FolderFunction, files: CodeFiles) -> dict[str, Any]:
    """The deploy body the files amount to (config fields, .env values, the entry's code)."""
    body: dict[str, Any] = {}
    if fn.config is not None:
        body.update(_parse_config(fn.config, _content(fn, files, fn.config)))
        for key in ("name", "code"):
            if key in body:
                raise FolderError(fn.config, f"{key}: not allowed here; the file decides it")
        body.pop("entry", None)
    dotenv = files.files.get(".env") if fn.folder is not None else None
    if dotenv is not None:
        from dotenv import dotenv_values  # here: only folders with a .env pay for the import

        stream = io.StringIO(dotenv.decode("utf-8", errors="replace"))
        values = {k: v for k, v in dotenv_values(stream=stream).items() if v is not None}
        configured = body.get("envVars")
        body["envVars"] = {**values, **configured} if isinstance(configured, dict) else values
    body.setdefault("envVars", {})  # the files are the whole truth: no env in them means none
    try:
        body["code"] = _content(fn, files, fn.entry).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FolderError(fn.entry, f"cannot read: {exc}") from None
    if fn.entry.suffix == ".cgi":  # nothing else runs a .cgi file
        body.setdefault("runtime", "cgi")
        body.setdefault("language", "node" if "node" in body["code"].split("\n", 1)[0] else "python")
    body.setdefault("language", fn.language)
    body["name"] = fn.name
    return body


def read_spec(fn: FolderFunction, files: CodeFiles) -> FunctionSpec:
    """The validated spec for these files; FolderError naming the file otherwise."""
    body = read_body(fn, files)
    try:
        return parse_spec(body)
    except ApiError as exc:
        raise FolderError(fn.config or fn.entry, exc.message) from None


def _content(fn: FolderFunction, files: CodeFiles, path: Path) -> bytes:
    """One of the function's files as read (it may have gone since `find` saw it)."""
    data = files.files.get(path.name if fn.folder is None else path.relative_to(fn.folder).as_posix())
    if data is None:
        raise FolderError(path, "cannot read: it was removed")
    return data


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return _parse_config(path, path.read_bytes())
    except OSError as exc:
        raise FolderError(path, f"cannot read: {exc.strerror}") from None


def _parse_config(path: Path, text: bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FolderError(path, f"line {exc.lineno}: malformed JSON ({exc.msg})", exc.lineno) from None
    except UnicodeDecodeError as exc:
        raise FolderError(path, f"cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise FolderError(path, "must be a JSON object of deploy fields")
    return data
