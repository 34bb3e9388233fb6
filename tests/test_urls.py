"""§3 a function's `url`: built in one place, percent-encoded, so it is a valid URI that answers."""

from __future__ import annotations

from typing import Any

import httpx

from emulator.urls import function_path, function_url

from tests.api.expect import OK


def test_each_part_is_percent_encoded() -> None:
    assert function_path("local", "hello-world") == "/v1/local/fn/hello-world"
    assert function_path("a/b", "x y") == "/v1/a%2Fb/fn/x%20y"
    assert function_path("été", "..") == "/v1/%C3%A9t%C3%A9/fn/.."
    assert function_url("http://127.0.0.1:1", "my.app_1-x", "fn") == "http://127.0.0.1:1/v1/my.app_1-x/fn/fn"
    assert function_path("é", "n").isascii()


def test_the_url_of_every_function_listed_answers(fnemu: Any) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    for app_id in ("local", "a.b", "A-1_z"):
        fnemu.http.post(f"/v1/{app_id}/functions", json={"name": "f_1-x", "code": OK}, headers=headers)
        for fn in fnemu.http.get(f"/v1/{app_id}/functions", headers=headers).json()["functions"]:
            assert httpx.get(fn["url"], headers=headers).text == "ok"
