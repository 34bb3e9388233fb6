"""The UI's server side: its files, the overview, the event stream and the S3 browser, over HTTP."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx

from emulator.pytest_plugin import Emulator
from tests.helpers import wait_until

HELLO = "def handler(event, context):\n    print('hi')\n    return {'statusCode': 200, 'body': 'hello'}\n"


def _auth(emu: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emu.token}"}


def test_the_page_and_its_files_are_served_without_a_token(fnemu: Emulator) -> None:
    page = fnemu.http.get("/_emu/ui")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'src="/_emu/ui/app.js"' in page.text
    script = fnemu.http.get("/_emu/ui/app.js")
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    for missing in ("nope.js", "..%2Fopenapi.yaml", ".hidden.js"):
        r = fnemu.http.get(f"/_emu/ui/{missing}")
        assert r.status_code == 404 and r.json()["error"]["field"] == "asset"


def test_overview_has_metrics_and_recent_durations_oldest_first(fnemu: Emulator) -> None:
    assert fnemu.http.get("/_emu/overview").status_code == 401
    fnemu.deploy("hi", HELLO)
    for _ in range(3):
        fnemu.invoke("hi")
    body = fnemu.http.get("/_emu/overview", headers=_auth(fnemu)).json()
    [fn] = [f for f in body["functions"] if f["name"] == "hi"]
    durations = [e["duration_ms"] for e in reversed(fnemu.logs("hi"))]
    assert fn["recent_ms"] == durations and fn["metrics"]["total_invocations"] == 3
    assert body["app_id"] == fnemu.app_id and body["folder_errors"] == []


def test_events_stream_each_new_log_entry_with_its_trace(fnemu: Emulator) -> None:
    fnemu.deploy("hi", HELLO)
    lines: list[dict[str, Any]] = []
    opened = threading.Event()

    def follow() -> None:
        with httpx.stream("GET", f"{fnemu.url}/_emu/events", headers=_auth(fnemu), timeout=30) as r:
            for line in r.iter_lines():
                if line:
                    lines.append(json.loads(line))
                    opened.set()
                if any(e["type"] == "log" for e in lines):
                    return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    assert opened.wait(10)
    answer = fnemu.invoke("hi")
    reader.join(10)
    assert lines[0] == {"type": "hello", "errors": []}
    [log] = [e for e in lines if e["type"] == "log"]
    assert log["entry"]["id"] == answer["id"] and log["entry"]["app_id"] == fnemu.app_id
    assert [s["name"] for s in log["entry"]["trace"]] == ["handler", "response"]


def test_s3_browse_uploads_fire_the_trigger_and_objects_read_back(fnemu: Emulator) -> None:
    fnemu.deploy("seen", HELLO, triggers=[{"type": "s3_upload", "config": {"bucket": "ui-drop"}}])
    base, auth = "/_emu/s3/buckets", _auth(fnemu)
    assert fnemu.http.get(base).status_code == 401
    put = fnemu.http.put(f"{base}/ui-drop/objects/a/b c.txt", content=b"data",
                         headers={**auth, "Content-Type": "text/plain"})
    assert put.status_code == 201 and put.json() == {"bucket": "ui-drop", "key": "a/b c.txt", "size": 4}
    wait_until(lambda: fnemu.logs("seen"), message="the s3_upload invocation")
    assert fnemu.logs("seen")[0]["trigger"] == "s3_upload"
    assert "ui-drop" in [b["name"] for b in fnemu.http.get(base, headers=auth).json()["buckets"]]
    listed = fnemu.http.get(f"{base}/ui-drop", headers=auth).json()["objects"]
    assert [(o["key"], o["size"]) for o in listed] == [("a/b c.txt", 4)]
    got = fnemu.http.get(f"{base}/ui-drop/objects/a/b c.txt", headers=auth)
    assert got.content == b"data" and got.headers["Content-Type"].startswith("text/plain")
    assert fnemu.http.delete(f"{base}/ui-drop/objects/a/b c.txt", headers=auth).status_code == 204
    assert fnemu.http.get(f"{base}/ui-drop", headers=auth).json()["objects"] == []
    missing = fnemu.http.get(f"{base}/no-such-bucket-here", headers=auth)
    assert missing.status_code == 404 and "NoSuchBucket" in missing.json()["error"]["message"]
    gone = fnemu.http.get(f"{base}/ui-drop/objects/a/b c.txt", headers=auth)
    assert gone.status_code == 404 and gone.json()["error"]["field"] == "key"


def test_a_broken_save_is_in_the_overview_until_undone(make_emulator: Any, tmp_path: Path) -> None:
    (tmp_path / "hi.py").write_text(HELLO)
    emu = make_emulator(functions_dir=tmp_path)
    overview = lambda: emu.http.get("/_emu/overview", headers=_auth(emu)).json()["folder_errors"]  # noqa: E731
    (tmp_path / "hi.py").write_text("def handler(event, context)\n")
    [error] = wait_until(overview, message="the load error")
    assert error["function"] == "hi" and "hi.py" in error["message"] and "line 1" in error["message"]
    (tmp_path / "hi.py").write_text(HELLO)
    wait_until(lambda: overview() == [], message="the error to end")


def test_s3_browse_names_the_rule_a_bad_bucket_or_key_breaks(fnemu: Emulator) -> None:
    base, auth = "/_emu/s3/buckets", _auth(fnemu)
    assert fnemu.http.get(f"{base}/Bad_Name").status_code == 401  # the token first
    bad = fnemu.http.get(f"{base}/Bad_Name", headers=auth)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "bucket"
    assert "valid S3 bucket name" in bad.json()["error"]["message"]
    key = fnemu.http.put(f"{base}/fine-bucket/objects/a%01b", content=b"x", headers=auth)
    assert key.status_code == 400 and key.json()["error"]["field"] == "key"
