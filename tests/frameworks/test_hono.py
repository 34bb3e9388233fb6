"""§5 the `web` style with Hono, used as its documentation shows (`export default app`, or its
`fetch`): routes, parameters, query, JSON body, headers and 404 through `/fn/`. Hono is the npm
package pinned in `fixtures/node/hono/package-lock.json` (`make test` runs `npm ci` there); the
functions find it in the `node_modules` above their folders."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import FIXTURES

HONO = FIXTURES / "node" / "hono"


@pytest.fixture(params=["app", "fetch"])
def hono(request: pytest.FixtureRequest, fnemu: Any) -> str:
    """The name of the Hono function, deployed from its folder in place."""
    if not (HONO / "node_modules" / "hono" / "package.json").is_file():
        pytest.fail(f"Hono is not installed: run `make test`, or `npm ci` in {HONO}")
    fn = fnemu.deploy_dir(HONO / request.param)
    assert fn["runtime"] == "web" and fn["language"] == "node"
    name: str = fn["name"]
    return name


def test_route_parameter_query_and_header(fnemu: Any, hono: str) -> None:
    r = fnemu.call(hono, path="/items/42?q=red%20shoes&tag=a&tag=b", headers={"X-Agent": "probe"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": "42", "q": "red shoes", "tags": ["a", "b"], "agent": "probe", "path": "/items/42"}


def test_json_body_status_and_response_header(fnemu: Any, hono: str) -> None:
    r = fnemu.call(hono, "POST", "/items", json={"name": "boot"})
    assert r.status_code == 201, r.text
    assert r.headers["x-created-by"] == "hono"
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"created": {"name": "boot"}}


def test_function_root_is_the_apps_root(fnemu: Any, hono: str) -> None:
    r = fnemu.call(hono)
    assert r.status_code == 200 and r.text == "root"


def test_unknown_route_and_method_are_honos_404(fnemu: Any, hono: str) -> None:
    for method, path in (("GET", "/nowhere"), ("DELETE", "/items/1")):
        r = fnemu.call(hono, method, path)
        assert r.status_code == 404, (method, path)
        assert r.text == "404 Not Found"
