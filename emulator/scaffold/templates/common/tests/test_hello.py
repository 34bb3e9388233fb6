"""The function in ../functions, served by fnemu's pytest plugin: `fnemu` is a running emulator,
reset before each test, serving that folder."""

from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
pytestmark = pytest.mark.fnemu(functions_dir=str(FUNCTIONS))


def test_hello_answers_over_http(fnemu):
    response = fnemu.call("hello", params={"name": "Ada"})
    assert response.status_code == 200
    assert response.json() == {"message": "Hello, Ada!"}


def test_each_call_is_logged(fnemu):
    fnemu.call("hello")
    (entry,) = fnemu.logs("hello")
    assert (entry["trigger"], entry["status_code"]) == ("http", 200)
