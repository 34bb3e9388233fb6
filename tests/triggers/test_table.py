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
