"""Language, handler style and module system read from the code, when the deploy body does not say.

A guess is made only from markers that one language cannot contain; anything else is a 400 saying
what was found and which field decides (CONTRACT §3), so a wrong guess cannot pass unnoticed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import BadRequest

if TYPE_CHECKING:
    from .spec import HandlerStyle, Language

__all__ = ["code_suffix", "detect_language", "detect_runtime"]

Marker = tuple[str, re.Pattern[str]]


def _markers(*pairs: tuple[str, str]) -> tuple[Marker, ...]:
    return tuple((label, re.compile(pattern, re.M)) for label, pattern in pairs)


_NODE = _markers(
    ("export default", r"^[ \t]*export\s+default\b"),
    ("export", r"^[ \t]*export\s*(?:\{|\*|(?:const|let|var|async|function|class)\b)"),
    ("module.exports", r"\bmodule\.exports\b"),
    ("exports.NAME =", r"^[ \t]*exports\.\w+\s*="),
    ("import ... from '...'", r"^[ \t]*import\s*(?:[\w*{][^;\n]*?\bfrom\s*)?['\"]"),
    ("require('...')", r"\brequire\(\s*['\"`]"),
    ("#!...node", r"\A#!.*\bnode\b"),
)
_PYTHON = _markers(
    ("def NAME(", r"^[ \t]*(?:async[ \t]+)?def[ \t]+\w+[ \t]*\("),
    ("import NAME", r"^[ \t]*import[ \t]+[\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*"
                    r"[ \t]*(?:#.*)?$"),
    ("from NAME import", r"^[ \t]*from[ \t]+\.*[\w.]*[ \t]+import\b"),
    ("#!...python", r"\A#!.*\bpython"),
)
_WEB = _markers(("export default", r"^[ \t]*export\s+default\b"))
_LAMBDA = _markers(
    ("exports.handler", r"\b(?:module\.)?exports\.handler\s*="),
    ("module.exports = {handler}", r"\bmodule\.exports\s*=\s*\{[^}]*\bhandler\b"),
    ("export handler", r"^[ \t]*export\s+(?:(?:const|let|var|async\s+function|function)\s+handler\b"
                       r"|\{[^}]*\bhandler\b)"),
)
_AZURE = re.compile(r"^[ \t]*(?:import[ \t]+azure\.functions\b|from[ \t]+azure\.functions[ \t]+import\b"
                    r"|from[ \t]+azure[ \t]+import[ \t].*\bfunctions\b)", re.M)
_LAMBDA_PY = re.compile(r"^[ \t]*(?:async[ \t]+)?def[ \t]+(?:lambda_handler|handler)[ \t]*\(", re.M)
_GCF = re.compile(r"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+\w+[ \t]*\([ \t]*request\b[^,)]*\)"
                  r"|@functions_framework\.http\b|import[ \t]+(?:flask|functions_framework)\b"
                  r"|from[ \t]+(?:flask|functions_framework)[ \t]+import\b)", re.M)
_ESM = re.compile(r"^[ \t]*(?:import\s*[\w*{'\"]|export\b)|\bimport\.meta\b", re.M)
_CHOOSE_LANGUAGE = 'set "language": "python" or "node"'
_CHOOSE_STYLE = 'set "runtime": "web" or "lambda"'


def _found(code: str, markers: tuple[Marker, ...]) -> list[str]:
    """`label (line N)` for each marker present, at its first occurrence."""
    out = []
    for label, pattern in markers:
        m = pattern.search(code)
        if m:
            out.append(f"{label} (line {code.count(chr(10), 0, m.start()) + 1})")
    return out


def detect_language(code: str) -> Language:
    node, python = _found(code, _NODE), _found(code, _PYTHON)
    if node and not python:
        return "node"
    if python and not node:
        return "python"
    if node:
        raise BadRequest(f"language: the code looks like both JavaScript ({', '.join(node)}) and Python "
                         f"({', '.join(python)}); {_CHOOSE_LANGUAGE}", "language")
    raise BadRequest("language: could not tell whether the code is Python or JavaScript (no def, "
                     f"import, export, exports. or module.exports found); {_CHOOSE_LANGUAGE}", "language")


def detect_runtime(code: str, language: str) -> HandlerStyle:
    """The handler style; `cgi` is never guessed (CONTRACT §3). Python: an `azure.functions`
    import is azure; a Lambda handler is lambda; a Flask-style handler (a parameter named
    `request`, `@functions_framework.http`, a Flask import) is gcf; anything else lambda."""
    if language == "python":
        if _AZURE.search(code):
            return "azure"
        if _LAMBDA_PY.search(code):
            return "lambda"
        if _GCF.search(code):
            return "gcf"
        return "lambda"
    web, lambda_ = _found(code, _WEB), _found(code, _LAMBDA)
    if web and lambda_:
        raise BadRequest(f"runtime: the code has both a web handler ({', '.join(web)}) and a lambda handler "
                         f"({', '.join(lambda_)}); {_CHOOSE_STYLE}", "runtime")
    if web:
        return "web"
    if lambda_:
        return "lambda"
    raise BadRequest("runtime: found no Node handler: a web function has `export default async function "
                     "handler(req)` or `export default { fetch(req, env, ctx) }`, a lambda function "
                     f"`exports.handler` or `export const handler`; add one, or {_CHOOSE_STYLE}", "runtime")


def code_suffix(language: str, code: str) -> str:
    """The suffix deployed code is stored with: Node reads `.mjs` as an ES module, `.cjs` as CommonJS."""
    if language == "python":
        return ".py"
    return ".mjs" if _ESM.search(code) else ".cjs"
