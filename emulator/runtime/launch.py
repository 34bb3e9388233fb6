"""How a worker for a version is started: the style's process, its environment, its limits.

Computed once per revision (not per spawn); which process serves a function is its style's
choice (`STYLES`), not its language's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import DeployError
from .platform_env import Platform, platform_env
from .styles import STYLES

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["LaunchSpec", "launch_spec"]

_LOAD_TIMEOUT_FLOOR = 10.0


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    argv: list[str]
    env: dict[str, str]
    cwd: str
    label: str
    load_timeout: float
    memory_mb: int


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
    return LaunchSpec(launch.argv, env, code_dir, version.label, load_timeout, spec.memory_mb)
