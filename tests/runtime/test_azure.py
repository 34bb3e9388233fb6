"""§5 the `azure` style: `main(req: func.HttpRequest) -> func.HttpResponse` on the user's own
azure-functions, with Azure's URL shape, route parameters and variables."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers import fixture_code

AZURE = fixture_code("python/azure_echo.py")


def test_url_has_azures_shape_with_the_path_below_the_function(fnemu: Any) -> None:
    fnemu.deploy("orders", AZURE)
    host = fnemu.url.removeprefix("http://")
    assert fnemu.call("orders", "GET", "/a/b?x=1").json()["url"] == f"http://{host}/api/orders/a/b?x=1"
    assert fnemu.call("orders").json()["url"] == f"http://{host}/api/orders"


def test_route_params_are_the_http_trigger_paths_parameters(fnemu: Any) -> None:
    fnemu.deploy("orders", AZURE, triggers=[{"type": "http", "config": {"path": "/items/{id}/{rest+}"}}])
    seen = fnemu.call("orders", "GET", "/items/42/x/y").json()
    assert seen["route_params"] == {"id": "42", "rest": "x/y"}
    fnemu.deploy("plain", AZURE)
    assert fnemu.call("plain", "GET", "/items/42").json()["route_params"] == {}


def test_status_and_headers_of_the_http_response_come_back(fnemu: Any) -> None:
    fnemu.deploy("orders", AZURE)
    response = fnemu.call("orders", "GET", "/?do=status")
    assert response.status_code == 201 and response.text == "made"
    assert response.headers["x-kind"] == "azure"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"  # Azure's default mimetype


def test_returning_something_else_is_a_500_that_says_what_to_return(fnemu: Any) -> None:
    fnemu.deploy("orders", AZURE)
    assert fnemu.call("orders", "GET", "/?do=nothing").status_code == 500
    assert "must return a func.HttpResponse" in fnemu.logs("orders", limit=1)[0]["error"]


def test_a_context_parameter_gets_the_invocation(fnemu: Any) -> None:
    code = ("import azure.functions as func\n"
            "def main(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:\n"
            "    return func.HttpResponse(f'{context.function_name} {context.invocation_id}')\n")
    fnemu.deploy("ctx", code)
    response = fnemu.call("ctx")
    name, invocation_id = response.text.split()
    assert name == "ctx"
    assert invocation_id == fnemu.logs("ctx")[0]["id"]


def test_azure_variables_name_the_site_and_the_worker_runtime(fnemu: Any) -> None:
    code = ("import json, os\nimport azure.functions as func\n"
            "def main(req):\n"
            "    return func.HttpResponse(json.dumps(dict(os.environ)))\n")
    fnemu.deploy("site", code)
    env = json.loads(fnemu.call("site").text)
    assert env["WEBSITE_SITE_NAME"] == "site"
    assert env["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert env["AZURE_FUNCTIONS_ENVIRONMENT"] == "Development"
    assert not [k for k in env if k.startswith(("AWS_LAMBDA", "FUNCTION_TARGET", "K_SERVICE"))]


def test_no_main_is_refused_at_deploy_naming_it(fnemu: Any) -> None:
    response = fnemu.client.http.post("/v1/local/functions", json={
        "name": "nothing", "code": "import azure.functions as func\ndef run(req):\n    return 'x'\n"})
    assert response.status_code == 400
    assert "define main(req)" in response.json()["error"]["message"]
