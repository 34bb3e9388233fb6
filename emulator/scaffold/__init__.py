"""`fnemu init` (CONTRACT §13): a functions folder with one function, a pytest test that uses the
plugin, and a README snippet, so that `fnemu start` and `pytest` work in it at once.

The files are package data in `templates/`: `common/` goes with every template (the README is
filled in per template), `<template>/` adds the function (and, for Python Lambda, a test that
calls the handler directly with a generated event). Nothing is overwritten: one existing file
and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

__all__ = ["TEMPLATES", "ScaffoldError", "init"]

_ROOT = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True, slots=True)
class _Kind:
    file: str
    description: str
    extra: str
    """What `pip install fnemu` needs beside it for the style's own library."""


TEMPLATES = {
    "python-lambda": _Kind("hello.py", "a Python Lambda handler (API Gateway event in, proxy result out)", ""),
    "node-web": _Kind("hello.mjs", "a Node (20+) Web handler (a `Request` in, a `Response` out)", ""),
    "gcf": _Kind("hello.py", "a Google Cloud Function (a Flask request in)", " flask"),
    "azure": _Kind("hello.py", "an Azure Function (`azure.functions.HttpRequest` in, `HttpResponse` out)",
                   " azure-functions"),
}


class ScaffoldError(Exception):
    """The folder already holds one of the files; nothing was written."""


def _files(template: str) -> dict[Path, str]:
    kind = TEMPLATES[template]
    files: dict[Path, str] = {}
    for base in (_ROOT / "common", _ROOT / template):
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(base)] = path.read_text(encoding="utf-8")
    readme = Path("README.md")
    files[readme] = Template(files[readme]).substitute(file=kind.file, description=kind.description,
                                                       extra=kind.extra)
    return files


def init(directory: Path, template: str) -> list[Path]:
    """Write `template`'s files into `directory` (created if needed); the paths written."""
    files = _files(template)
    existing = sorted(str(rel) for rel in files if (directory / rel).exists())
    if existing:
        raise ScaffoldError(f"{directory} already has {', '.join(existing)}: fnemu init overwrites nothing "
                            "(nothing was written); choose a new folder: fnemu init DIR")
    written = []
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
