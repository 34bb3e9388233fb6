"""How a worker for a version is started: the style's process, its environment, its limits.

Computed once per revision (not per spawn); which process serves a function is its style's
choice (`STYLES`), not its language's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..errors import DeployError
from .interpreters import read_at_start
from .platform_env import Platform, blank_env, platform_env
from .styles import STYLES

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["LaunchSpec", "launch_spec"]

_LOAD_TIMEOUT_FLOOR = 10.0


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    """`load`: the function's own part of the load frame (protocol.py). `spare`: a spare started
    with `argv` can serve it: the command names no function, and every variable the interpreter
    reads as it starts has the value a spare started with."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    label: str
    load_timeout: float
    memory_mb: int
    load: Mapping[str, Any]
    spare: bool


def launch_spec(version: FunctionVersion, config: Config) -> LaunchSpec:
    """Everything a spawn needs; DeployError (400) for a language or style fnemu cannot run."""
    spec = version.spec
    style = STYLES.get(spec.runtime)
    if style is None or spec.language not in style.languages:
        raise DeployError(f"runtime: {spec.language} functions in the {spec.runtime} style are not "
                          "available in this version of fnemu", "runtime")
    launch = style.launch(version, config)
    code_dir = str(version.entry.parent)
    platform = style.platform_vars(Platform(
        name=version.name, number=version.number, language=spec.language, memory_mb=spec.memory_mb,
        region=config.region, code_dir=code_dir, handler=launch.handler))
    env = platform_env(platform, region=config.region, s3_endpoint=config.s3_endpoint_url,
                       user_env=version.env)
    load_timeout = max(spec.timeout_ms / 1000, _LOAD_TIMEOUT_FLOOR)
    spare = launch.blank and read_at_start(spec.language, env) == read_at_start(spec.language, blank_env())
    return LaunchSpec(launch.argv, env, code_dir, version.label, load_timeout, spec.memory_mb, launch.load, spare)
