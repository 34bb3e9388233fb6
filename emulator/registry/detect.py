"""Language and handler style read from the code, when the deploy body does not say."""

from __future__ import annotations

import re

from ..errors import BadRequest

__all__ = ["detect_language", "detect_runtime"]

_NODE = re.compile(
    r"\bexport\s+(?:default|const|let|async|function)\b|\bmodule\.exports\b|\bexports\.\w+\s*="
    r"|\brequire\(\s*['\"]|=>|^\s*import\s+.*\bfrom\s+['\"]|^\s*(?:const|let|var)\s+\w+\s*=",
    re.M,
)
_PYTHON = re.compile(
    r"^\s*(?:async\s+)?def\s+\w+\s*\(.*\)\s*(?:->.*)?:\s*(?:#.*)?$"
    r"|^\s*from\s+[\w.]+\s+import\s+|^\s*import\s+[\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+)*\s*(?:#.*)?$",
    re.M,
)


def detect_language(code: str) -> str:
    node = len(_NODE.findall(code))
    python = len(_PYTHON.findall(code))
    if python > node:
        return "python"
    if node > python:
        return "node"
    raise BadRequest(
        "language: could not tell whether the code is Python or JavaScript; "
        'set "language": "python" or "node"',
        "language",
    )


def detect_runtime(code: str, language: str) -> str:
    """The handler style; `cgi` is never guessed (CONTRACT §3)."""
    if language == "python":
        if re.search(r"^\s*import\s+azure\.functions|^\s*from\s+azure\s+import\s+functions", code, re.M):
            return "azure"
        if re.search(r"^\s*def\s+(?:lambda_handler|handler)\s*\(", code, re.M):
            return "lambda"
        if re.search(r"^\s*(?:from\s+flask\s+import|import\s+flask|import\s+functions_framework)", code, re.M):
            return "gcf"
        return "lambda"
    if re.search(r"\bexport\s+default\b", code):
        return "web"
    return "lambda"
