"""How each language's bootstrap process is started: interpreter, flags, dying with the emulator.

A style picks one of these (or a process of its own) in its `launch`; the language alone does not
decide what runs. The command names no function (the load frame does, protocol.py), so a process
started with it ahead of need (a spare) can serve any function that starts alike.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import DeployError

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["BOOTSTRAP", "node_command", "node_heap_flags", "node_worker", "python_worker", "read_at_start"]

BOOTSTRAP = Path(__file__).parent / "bootstrap"

_SETPRIV = shutil.which("setpriv")
"""Node cannot ask for PR_SET_PDEATHSIG itself as python_worker.py does; util-linux's setpriv sets
it before exec, so a busy Node worker dies with the emulator even when that is SIGKILLed."""


_C_PREFIXES = ("LC_", "LD_", "MALLOC_")
_C_NAMES = frozenset({"LANG", "LANGUAGE", "TZ", "GLIBC_TUNABLES"})
_READ_AT_START = {
    "python": (("PYTHON", *_C_PREFIXES), _C_NAMES | {"HOME"}),
    "node": (("NODE_", "UV_", "OPENSSL_", "SSL_CERT_", *_C_PREFIXES), _C_NAMES),
}
"""Per language, the prefixes and names of the variables its interpreter (or the C library under
it) reads once, as it starts: PYTHONPATH, HOME (Python's user site folder), NODE_OPTIONS, the
locale, the time zone. Set later, by a load frame, they would not act."""


def read_at_start(language: str, env: Mapping[str, str]) -> dict[str, str]:
    """The variables of `env` that `language`'s interpreter reads as it starts."""
    prefixes, names = _READ_AT_START[language]
    return {k: v for k, v in env.items() if k in names or k.startswith(prefixes)}


def python_worker(version: FunctionVersion, config: Config, handlers: str) -> tuple[list[str], dict[str, Any]]:
    """python_worker.py on the configured interpreter, and its part of the load frame; `handlers`:
    the names it looks for, in order."""
    return ([config.python, str(BOOTSTRAP / "python_worker.py"), version.spec.runtime],
            {"entry": str(version.entry), "handlers": handlers.split(",")})


def node_worker(version: FunctionVersion, config: Config) -> tuple[list[str], dict[str, Any]]:
    """node_worker.mjs on `node_command`, and its part of the load frame: the envVars' names, to hand
    the web style's `env` only the function's values."""
    return ([*node_command(version, config), str(BOOTSTRAP / "node_worker.mjs"), version.spec.runtime],
            {"entry": str(version.entry), "env_names": list(version.env)})


def node_command(version: FunctionVersion, config: Config) -> list[str]:
    """`node` with its flags: V8's heap is sized to fit in memoryLimitMb (as on Lambda), so garbage
    is collected before the worker's limit check sees it and a runaway heap ends in V8's own
    out-of-memory abort."""
    node = shutil.which(config.node)  # the emulator's PATH: a worker's own PATH is the platform's
    if node is None:
        raise DeployError(f"language: node functions need Node.js 20+; {config.node!r} was not found "
                          "(install it, or point --node at it)", "language")
    prefix = [_SETPRIV, "--pdeathsig", "KILL"] if _SETPRIV else []
    return [*prefix, node, *node_heap_flags(version.spec.memory_mb)]


def node_heap_flags(memory_mb: int) -> list[str]:
    """V8's heap sizes for a function of `memory_mb`."""
    semi_space = min(max(memory_mb // 32, 1), 16)  # V8's default, 16 MB each, overruns small limits
    return [f"--max-semi-space-size={semi_space}", f"--max-old-space-size={memory_mb - 4 * semi_space}"]
