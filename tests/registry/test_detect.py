"""§3 the handler style read from Python code when the deploy body has no `runtime`."""

from __future__ import annotations

import pytest

from emulator.registry.detect import detect_runtime
from emulator.registry.spec import parse_spec
from tests.helpers import SEED_000_CODE, fixture_code


@pytest.mark.parametrize(("code", "style"), [
    ("import azure.functions as func\ndef main(req: func.HttpRequest) -> func.HttpResponse: ...\n", "azure"),
    ("from azure import functions as func\ndef main(req): ...\n", "azure"),
    ("from azure.functions import HttpRequest, HttpResponse\ndef main(req): ...\n", "azure"),
    ("def main(request):\n    return 'hi'\n", "gcf"),
    ("def hello(request: flask.Request) -> str:\n    return 'hi'\n", "gcf"),
    ("import functions_framework\n@functions_framework.http\ndef hello(req): ...\n", "gcf"),
    ("from flask import jsonify\ndef main(r): ...\n", "gcf"),
    ("def lambda_handler(event, context): ...\n", "lambda"),
    ("def handler(event, context): ...\ndef helper(request): ...\n", "lambda"),
    ("from azure import identity\ndef handler(event, context): ...\n", "lambda"),
    ("def add(request, amount): ...\n", "lambda"),
    ("#!/usr/bin/env python3\nimport os\nprint('Content-Type: text/plain')\nprint()\n", "lambda"),
], ids=["azure-import", "azure-from", "azure-names", "request-param", "annotated-request", "decorator",
        "flask-import", "lambda_handler", "handler-first", "other-azure-package", "two-params", "script"])
def test_python_style_is_read_from_the_code(code: str, style: str) -> None:
    assert detect_runtime(code, "python") == style


def test_seed_000_default_code_is_lambda() -> None:
    assert detect_runtime(SEED_000_CODE, "python") == "lambda"


@pytest.mark.parametrize(("fixture", "style"), [("python/gcf_echo.py", "gcf"), ("python/azure_echo.py", "azure")])
def test_the_style_sets_the_language_without_a_guess(fixture: str, style: str) -> None:
    spec = parse_spec({"name": "f", "code": fixture_code(fixture)})
    assert (spec.language, spec.runtime) == ("python", style)


def test_cgi_is_never_detected_only_chosen() -> None:
    """CONTRACT §3: a CGI script looks like any script; `runtime: "cgi"` says it is one."""
    script = "#!/usr/bin/env python3\nimport os\nprint('Content-Type: text/plain\\n')\nprint(os.environ['PATH_INFO'])\n"
    assert parse_spec({"name": "f", "code": script}).runtime != "cgi"
    assert parse_spec({"name": "f", "code": script, "runtime": "cgi", "language": "python"}).runtime == "cgi"
