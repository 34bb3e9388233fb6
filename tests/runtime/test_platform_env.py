"""§5 each style's worker gets its platform's variables and the function's envVars, and nothing of
the shell that started fnemu: code that detects its platform from the environment (seed 001) must
not be misled by a variable of another platform."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import wait_until

from .procs import cmdline, descendants, environ, folder, spares

FOREIGN = {
    "GATEWAY_INTERFACE": "CGI/1.1",
    "AWS_LAMBDA_FUNCTION_NAME": "from-the-shell",
    "LAMBDA_TASK_ROOT": "/from-the-shell",
    "AWS_SECRET_ACCESS_KEY": "from-the-shell",
    "AWS_PROFILE": "from-the-shell",
    "FUNCTION_TARGET": "from_the_shell",
    "K_SERVICE": "from-the-shell",
    "FUNCTIONS_WORKER_RUNTIME": "from-the-shell",
    "AZURE_FUNCTIONS_ENVIRONMENT": "from-the-shell",
    "AzureWebJobsStorage": "from-the-shell",
    "SWML_BASIC_AUTH_USER": "from-the-shell",
    "SWML_PROXY_URL_BASE": "http://from-the-shell",
    "HOME": "/from-the-shell",
}

PY_DUMP = "json.dumps(dict(os.environ))"
STYLES: dict[str, dict[str, Any]] = {
    "lambda-python": {"code": f"import json, os\ndef handler(event, context):\n"
                              f"    return {{'statusCode': 200, 'body': {PY_DUMP}}}\n"},
    "lambda-node": {"code": "export const handler = async () => ({ statusCode: 200, body: JSON.stringify(process.env) });\n"},
    "web": {"code": "export default async () => Response.json(process.env);\n"},
    "gcf": {"code": f"import json, os\ndef main(request):\n    return {PY_DUMP}\n"},
    "azure": {"code": f"import json, os\nimport azure.functions as func\ndef main(req):\n"
                      f"    return func.HttpResponse({PY_DUMP})\n"},
}
OWN = {  # what each platform sets itself, in place of the shell's value
    "lambda-python": {"AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT", "AWS_SECRET_ACCESS_KEY"},
    "lambda-node": {"AWS_LAMBDA_FUNCTION_NAME", "LAMBDA_TASK_ROOT", "AWS_SECRET_ACCESS_KEY"},
    "web": {"AWS_SECRET_ACCESS_KEY"},
    "gcf": {"FUNCTION_TARGET", "K_SERVICE", "AWS_SECRET_ACCESS_KEY"},
    "azure": {"FUNCTIONS_WORKER_RUNTIME", "AZURE_FUNCTIONS_ENVIRONMENT", "AWS_SECRET_ACCESS_KEY"},
}


def _environment(client: httpx.Client, name: str, style: str) -> dict[str, str]:
    """Deploy `style`'s environment dump as `name` and call it: the environment it sees."""
    created = client.post("/v1/local/functions", json={"name": name, "envVars": {"MINE": "yes"}, **STYLES[style]})
    assert created.status_code == 201, created.text
    response = client.get(f"/v1/local/fn/{name}")
    assert response.status_code == 200, (style, response.text)
    env: dict[str, str] = json.loads(response.text)
    assert env["MINE"] == "yes", style
    leaked = {k for k, v in env.items() if k in FOREIGN and v == FOREIGN[k]}
    assert not leaked, (style, leaked)
    assert set(FOREIGN) & set(env) <= OWN[style], (style, set(FOREIGN) & set(env) - OWN[style])
    return env


@pytest.mark.parametrize("fnemu_process", [FOREIGN], indirect=True)
def test_no_variable_of_the_shell_that_started_fnemu_reaches_any_style(
        fnemu_process: tuple[subprocess.Popen[str], httpx.Client]) -> None:
    _, client = fnemu_process
    for style in STYLES:
        _environment(client, f"env-{style}", style)


@pytest.mark.parametrize("fnemu_process", [FOREIGN], indirect=True)
def test_a_worker_started_from_a_spare_sees_the_same_environment(
        fnemu_process: tuple[subprocess.Popen[str], httpx.Client]) -> None:
    """The second function of a style starts from the spare its first left behind."""
    proc, client = fnemu_process
    seen: set[bytes] = set()  # the commands of the styles before: their spares are replaced meanwhile

    def new_spares() -> set[int]:
        return {pid for pid in spares(descendants(proc.pid)) if cmdline(pid) not in seen}

    for style in STYLES:
        spawned = _environment(client, f"env-{style}", style)
        (spare,) = wait_until(new_spares, message=f"the spare of {style}")
        seen.add(cmdline(spare))
        assert not set(environ(spare)) & set(FOREIGN), style
        from_spare = _environment(client, f"env-{style}-2", style)
        assert folder(spare) not in (None, Path("/")), f"{style}: the spare was not used"
        assert set(from_spare) == set(spawned), style
