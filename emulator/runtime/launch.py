"""How a worker for a version is started: interpreter, bootstrap, handler names, environment.

Computed once per revision (not per spawn), one entry per language in LAUNCHERS.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import DeployError
from .platform_env import platform_env

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["LaunchSpec", "launch_spec"]

BOOTSTRAP = Path(__file__).parent / "bootstrap"
_LOAD_TIMEOUT_FLOOR = 10.0


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    label: str
    load_timeout: float
    memory_mb: int


def _python(version: FunctionVersion, config: Config) -> tuple[list[str], str]:
    style = version.spec.runtime
    handlers = {"lambda": "lambda_handler,handler"}.get(style)
    if handlers is None:
        raise _unavailable(version)
    argv = [config.python, str(BOOTSTRAP / "python_worker.py"), style, str(version.entry), handlers]
    return argv, f"{version.entry.stem}.{handlers.split(',')[0]}"


_SETPRIV = shutil.which("setpriv")
"""Node cannot ask for PR_SET_PDEATHSIG itself as python_worker.py does; util-linux's setpriv sets
it before exec, so a busy Node worker dies with the emulator even when that is SIGKILLed."""


def _node(version: FunctionVersion, config: Config) -> tuple[list[str], str]:
    """V8's heap is sized to fit in memoryLimitMb (as on Lambda), so garbage is collected before
    the worker's limit check sees it and a runaway heap ends in V8's own out-of-memory abort.
    The worker gets the envVars' names to hand the web style's `env` only the function's values."""
    style = version.spec.runtime
    if style not in ("web", "lambda"):
        raise _unavailable(version)
    node = shutil.which(config.node)  # the emulator's PATH: a worker's own PATH is the platform's
    if node is None:
        raise DeployError(f"language: node functions need Node.js 20+; {config.node!r} was not found "
                          "(install it, or point --node at it)", "language")
    memory_mb = version.spec.memory_mb
    semi_space = min(max(memory_mb // 32, 1), 16)  # V8's default, 16 MB each, overruns small limits
    prefix = [_SETPRIV, "--pdeathsig", "KILL"] if _SETPRIV else []
    argv = [*prefix, node, f"--max-semi-space-size={semi_space}",
            f"--max-old-space-size={memory_mb - 4 * semi_space}",
            str(BOOTSTRAP / "node_worker.mjs"), style, str(version.entry), ",".join(version.env)]
    return argv, f"{version.entry.stem}.handler"


LAUNCHERS: dict[str, Callable[[FunctionVersion, Config], tuple[list[str], str]]] = {
    "python": _python,
    "node": _node,
}


def _unavailable(version: FunctionVersion) -> DeployError:
    spec = version.spec
    return DeployError(
        f"runtime: {spec.language} functions in the {spec.runtime} style are not available in this "
        "version of fnemu", "runtime")


def launch_spec(version: FunctionVersion, config: Config) -> LaunchSpec:
    """Everything a spawn needs; DeployError (400) for a language or style fnemu cannot run."""
    launcher = LAUNCHERS.get(version.spec.language)
    if launcher is None:
        raise _unavailable(version)
    argv, handler = launcher(version, config)
    spec = version.spec
    code_dir = str(version.entry.parent)
    env = platform_env(style=spec.runtime, language=spec.language, name=version.name,
                       memory_mb=spec.memory_mb, region=config.region, code_dir=code_dir,
                       handler=handler, s3_endpoint=config.s3_endpoint_url, user_env=version.env)
    load_timeout = max(spec.timeout_ms / 1000, _LOAD_TIMEOUT_FLOOR)
    return LaunchSpec(argv, env, code_dir, version.label, load_timeout, spec.memory_mb)
