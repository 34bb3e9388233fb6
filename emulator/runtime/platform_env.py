"""The environment each handler style's platform sets, and nothing of the emulator's own.

A worker's environment is built here from nothing: the emulator's own environment (and so the
shell that started it, with whatever `AWS_*`, `FUNCTION_TARGET`, `GATEWAY_INTERFACE` or `SWML_*`
it holds) never reaches a function. Each style's `platform_vars` picks its platform's
variables from here.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from .. import __version__
from ..config import S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY

__all__ = ["Platform", "azure_vars", "blank_env", "cgi_vars", "gcf_vars", "lambda_vars", "platform_env"]

_BASE = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "en_US.UTF-8",
    "TZ": "UTC",
}


@dataclass(frozen=True, slots=True)
class Platform:
    """What a platform's variables are made of, for one function version."""

    name: str
    number: int
    language: str
    memory_mb: int
    region: str
    code_dir: str
    handler: str



def lambda_vars(p: Platform) -> dict[str, str]:
    if p.language == "python":
        execution_env = f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}"
    else:
        execution_env = "AWS_Lambda_nodejs20.x"
    return {
        "AWS_LAMBDA_FUNCTION_NAME": p.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(p.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{p.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "fnemu/[$LATEST]local",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_EXECUTION_ENV": execution_env,
        "AWS_REGION": p.region,
        "AWS_DEFAULT_REGION": p.region,
        "LAMBDA_TASK_ROOT": p.code_dir,
        "_HANDLER": p.handler,
    }


def gcf_vars(p: Platform) -> dict[str, str]:
    """Google Cloud Functions (2nd gen, on Cloud Run) and its Functions Framework: the service is
    the function, FUNCTION_TARGET its entry point."""
    return {
        "FUNCTION_TARGET": p.handler,
        "FUNCTION_SIGNATURE_TYPE": "http",
        "K_SERVICE": p.name,
        "K_REVISION": f"{p.name}-{p.number:05d}",
        "K_CONFIGURATION": p.name,
        "PORT": "8080",
    }


def azure_vars(p: Platform) -> dict[str, str]:
    """Azure Functions' Python worker on a local Functions host (`func start`): the site is the
    function app, here the function."""
    return {
        "FUNCTIONS_WORKER_RUNTIME": "python",
        "FUNCTIONS_WORKER_RUNTIME_VERSION": f"{sys.version_info[0]}.{sys.version_info[1]}",
        "FUNCTIONS_EXTENSION_VERSION": "~4",
        "AZURE_FUNCTIONS_ENVIRONMENT": "Development",
        "WEBSITE_SITE_NAME": p.name,
        "AzureWebJobsScriptRoot": p.code_dir,
    }


def cgi_vars(p: Platform) -> dict[str, str]:
    """The meta-variables that are the same for every request (RFC 3875 §4.1.4, §4.1.17); the
    per-request ones are events/cgi.py's."""
    return {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": f"fnemu/{__version__}",
    }


def _aws_sdk(s3_endpoint: str, region: str) -> dict[str, str]:
    """What AWS SDKs read (boto3, AWS SDK for JavaScript v3): they reach the fake S3 unchanged."""
    return {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


def blank_env() -> dict[str, str]:
    """What a spare worker starts with, before it is told its function: the base every worker has,
    nothing of any platform or function."""
    return dict(_BASE)


def platform_env(platform: Mapping[str, str], *, region: str, s3_endpoint: str,
                 user_env: Mapping[str, str]) -> dict[str, str]:
    """The whole environment of a worker: the platform's variables (a style's `platform_vars`),
    then the function's envVars."""
    env = dict(_BASE)
    env.update(_aws_sdk(s3_endpoint, region))
    env.update(platform)
    env.update(user_env)
    return env
