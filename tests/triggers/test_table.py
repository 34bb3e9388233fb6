"""§6 the trigger table: one entry per type, one module per entry, and a validator importable alone."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from typing import Any

from emulator.keys import REGISTRY
from emulator.keys import TRIGGERS as RUNNING
from emulator.triggers import TRIGGER_TYPES, TRIGGERS
from emulator.triggers.cron import CRON, CronTrigger
from tests.helpers import wait_until


def test_each_entry_is_its_module_and_a_contract_type() -> None:
    for name, kind in TRIGGERS.items():
        module = importlib.import_module(f"emulator.triggers.{name}")
        assert kind.name == name and name in TRIGGER_TYPES
        assert getattr(module, name.upper()) is kind
        assert kind.make.type == name  # type: ignore[attr-defined]


def test_spec_imports_neither_the_registry_nor_invoke() -> None:
    """The deploy validator pulls in only pure trigger code: no cycle through the registry."""
    code = ("import sys, emulator.registry.spec\n"
            "print(sorted(m for m in sys.modules if m.startswith(('emulator.registry.registry', "
            "'emulator.invoke', 'emulator.runtime', 'emulator.api', 'aiohttp'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_running_triggers_are_found_by_their_type(fnemu: Any) -> None:
    cron = fnemu.server.app[RUNNING][CRON]
    assert isinstance(cron, CronTrigger)


def test_function_object_and_table_render_each_trigger(fnemu: Any) -> None:
    fn = fnemu.deploy("tick", "def handler(event, context):\n    return {}\n",
                      triggers=[{"type": "http", "config": {"auth": "none"}},
                                {"type": "cron", "config": {"schedule": "0 9 * * *"}}])
    assert fn["triggers"] == [{"type": "http", "config": {"method": "ANY", "auth": "none"}},
                              {"type": "cron", "config": {"schedule": "0 9 * * *", "timezone": "UTC"}}]
    app = fnemu.server.app
    http, cron = app[RUNNING].describe(app[REGISTRY].get("local", "tick"), fnemu.url)
    assert http == "http (public)"
    assert re.fullmatch(r"cron \(next \d{4}-\d\d-\d\d 09:00 UTC\)", cron), cron


def test_the_table_shows_what_an_http_trigger_answers_to_and_whether_it_needs_a_token(fnemu: Any) -> None:
    code = "def handler(event, context):\n    return {}\n"
    app = fnemu.server.app
    for name, config, shown in [("a", {}, "http (token)"), ("b", {"auth": "none"}, "http (public)"),
                                ("c", {"method": ["GET", "POST"], "path": "/items/{id}"},
                                 "http (GET|POST /items/{id}, token)")]:
        fnemu.deploy(name, code, triggers=[{"type": "http", "config": config}])
        assert app[RUNNING].describe(app[REGISTRY].get("local", name), fnemu.url) == [shown]


def _summaries(fnemu: Any, name: str, count: int) -> list[str]:
    """What the terminal shows of the function's invocations, oldest first."""
    log = fnemu.server.app[REGISTRY].get("local", name).log
    wait_until(lambda: len(list(log.newest_first())) >= count, message=f"{count} invocation(s) of {name}")
    return [entry.described for entry in reversed(list(log.newest_first()))]


def test_each_trigger_summarises_its_own_invocations(fnemu: Any) -> None:
    code = "def handler(event, context):\n    return {'statusCode': 200, 'body': ''}\n"
    fnemu.deploy("tick", code, triggers=[{"type": "cron", "config": {"schedule": "30 9 * * *",
                                                                       "timezone": "Europe/Paris"}}])
    fnemu.advance_clock(2 * 24 * 3600)
    assert set(_summaries(fnemu, "tick", 2)) == {"cron 09:30"}
    fnemu.deploy("up", code, triggers=[{"type": "s3_upload", "config": {"bucket": "uploads"}}])
    fnemu.s3_client().put_object(Bucket="uploads", Key="in/a b.png", Body=b"x")
    assert _summaries(fnemu, "up", 1) == ["s3 uploads/in/a b.png"]
    fnemu.deploy("hook", code, triggers=[{"type": "webhook", "config": {"allowed_sources": "github"}}])
    assert fnemu.webhook_send("hook", source="github", payload={}).status_code == 200
    assert _summaries(fnemu, "hook", 1) == ["webhook github"]
    fnemu.deploy("chat", code, triggers=[{"type": "websocket"}])
    with fnemu.websocket("chat") as ws:
        ws.send("hi")
    assert _summaries(fnemu, "chat", 3) == ["websocket $connect", "websocket $default", "websocket $disconnect"]
    fnemu.deploy("web", code)
    assert fnemu.call("web", path="/x").status_code == 200
    assert fnemu.invoke("web", method="PUT", path="/y")["status_code"] == 200
    assert _summaries(fnemu, "web", 2) == ["http GET /x", "invoke PUT /y"]
