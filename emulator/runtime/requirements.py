"""A style's library in the interpreter that runs the functions, checked at deploy (CONTRACT §5:
gcf needs the user's own Flask, azure their azure-functions; without it, a 400 that says how to
fix it rather than a worker that cannot start)."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from dataclasses import dataclass

from ..errors import DeployError

__all__ = ["Requirement", "check", "importable"]

_PROBE = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(sys.argv[1]) else 1)"
_found: set[tuple[str, str]] = set()
"""(interpreter, module) pairs seen present; a missing one is looked for again at the next deploy,
so installing it is enough."""


@dataclass(frozen=True, slots=True)
class Requirement:
    module: str
    """What the style's bootstrap imports (`flask`, `azure.functions`)."""
    package: str
    """Its name on PyPI (`flask`, `azure-functions`)."""
    label: str
    """How people call it (`Flask`)."""


async def check(style: str, requirement: Requirement, python: str) -> None:
    """DeployError (400, field `runtime`) when `python` cannot import the style's library."""
    if not await importable(python, requirement.module):
        raise DeployError(
            f"runtime: the {style} style needs {requirement.label} in the Python that runs the functions "
            f"({python}): {python} -m pip install {requirement.package}", "runtime")


async def importable(python: str, module: str) -> bool:
    """Whether `python` can import `module` (True when that interpreter cannot be started: starting
    the worker reports it)."""
    key = (python, module)
    if key in _found:
        return True
    if python == sys.executable:
        present = _importable(module)
    else:
        try:
            proc = await asyncio.create_subprocess_exec(
                python, "-c", _PROBE, module, env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL)
        except OSError:
            return True
        present = await proc.wait() == 0
    if present:
        _found.add(key)
    return present


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package (`azure` of `azure.functions`) is missing
        return False
