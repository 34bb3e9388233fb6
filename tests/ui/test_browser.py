"""The UI end to end in a real headless Chromium, against a real emulator serving a copy of the samples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from emulator.pytest_plugin import Emulator

from .conftest import login, page_shot


def test_a_wrong_token_is_refused_and_the_right_one_shows_the_functions(page: Any, emu: Emulator) -> None:
    page.goto(f"{emu.url}/_emu/ui")
    page.get_by_label("Developer token").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("That token was refused.")
    login(page, emu)
    table = page.locator("#functions-table")
    expect(table.locator("tr[data-name=hello]")).to_contain_text("python")
    expect(table.locator("tr[data-name=tick]")).to_contain_text("cron")
    assert page.evaluate("sessionStorage.getItem('fnemu-token')") == emu.token


def test_invoke_a_function_and_see_its_output(page: Any, emu: Emulator) -> None:
    login(page, emu)
    page.get_by_role("link", name="hello", exact=True).click()
    expect(page.locator("#code")).to_contain_text("def lambda_handler")
    page.get_by_label("Query (a=1&b=2)").fill("name=Ada")
    page.get_by_role("button", name="Invoke").click()
    result = page.locator("#invoke-result")
    expect(result).to_contain_text("Status 200")
    expect(result.locator(".body")).to_contain_text("Hello, Ada!")
    expect(result.locator(".console")).to_contain_text("greeting Ada")


def test_a_log_entry_arrives_live_and_opens_with_its_trace(page: Any, emu: Emulator) -> None:
    login(page, emu, "#/logs")
    expect(page.locator("#log-table")).to_be_visible()
    assert emu.call("hello", path="/?name=Live", auth=False).status_code == 200  # from outside the page
    row = page.locator("#log-table tbody tr", has_text="hello").first
    expect(row).to_be_visible()
    row.focus()
    page.keyboard.press("Enter")
    detail = page.locator("#entry")
    expect(detail.locator(".console")).to_contain_text("greeting Live")
    expect(detail.locator("#trace [data-phase=handler]")).to_contain_text(re.compile(r"handler · starts [\d.]+ ms"))
    expect(detail.locator("#trace [data-phase=response]")).to_be_visible()
    page.get_by_label("Text").fill("no such text anywhere")
    expect(page.locator("#log-table tbody tr")).to_have_count(0)


def test_advance_the_clock_and_see_the_cron_fire(page: Any, emu: Emulator) -> None:
    login(page, emu, "#/clock")
    expect(page.locator("#clock-now")).to_contain_text("2026-01-01T09:00:30")
    page.get_by_role("button", name="+1 min").click()
    fired = page.locator("#fired")
    expect(fired).to_contain_text("tick at 2026-01-01T09:01:00")
    assert any(e["consoleLogs"][0]["message"].startswith("tick at") for e in emu.logs("tick"))


def test_upload_to_s3_fires_the_trigger_then_download_and_delete(page: Any, emu: Emulator,
                                                                tmp_path: Path) -> None:
    login(page, emu, "#/s3")
    page.get_by_label("New bucket").fill("uploads")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Bucket uploads")).to_be_visible()
    upload = tmp_path / "cat.txt"
    upload.write_text("meow")
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#objects tr[data-key='in/cat.txt']")).to_contain_text("4 B")
    page.goto(f"{emu.url}/_emu/ui#/logs")
    expect(page.locator("#log-table tbody tr", has_text="thumbnails")).to_contain_text("s3_upload")
    page.goto(f"{emu.url}/_emu/ui#/s3/uploads")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download in/cat.txt").click()
    assert Path(download.value.path()).read_text() == "meow"
    page.get_by_role("button", name="Delete in/cat.txt").click()
    expect(page.locator("#s3-status")).to_have_text("Deleted in/cat.txt")
    expect(page.locator("#objects tr[data-key='in/cat.txt']")).to_have_count(0)
    assert "Contents" not in emu.s3_client().list_objects_v2(Bucket="uploads", Prefix="in/cat.txt")


def test_approve_a_pending_agent_tool_call(page: Any, emu: Emulator) -> None:
    login(page, emu, "#/approvals")
    expect(page.get_by_text("No call awaits approval.")).to_be_visible()
    held = emu.call_tool("refund", {"account": "acct_1", "amount": 5})
    approval = held.get("approval_id") or held["approval"]["id"]
    card = page.locator(f"article[data-id='{approval}']")  # arrives live
    expect(card).to_contain_text("acct_1")
    page.get_by_role("button", name=f"Approve {approval}").click()
    expect(page.locator("#approval-result")).to_contain_text("Status 200")
    expect(page.get_by_text("No call awaits approval.")).to_be_visible()


def test_a_broken_save_shows_a_banner_until_fixed(page: Any, emu: Emulator) -> None:
    login(page, emu)
    folder = emu.server.config.functions_dir
    assert folder is not None
    good = (folder / "hello.py").read_text()
    (folder / "hello.py").write_text("def lambda_handler(event, context)\n    return 1\n")
    banner = page.get_by_role("alert").filter(has_text="Broken save in hello")
    expect(banner).to_contain_text(re.compile(r"hello\.py.*line 1"))
    (folder / "hello.py").write_text(good)
    expect(page.locator("#banner")).to_be_hidden()


def test_dark_and_light_follow_the_system_and_the_menu_works_from_the_keyboard(page: Any, emu: Emulator) -> None:
    login(page, emu)
    background = "getComputedStyle(document.body).backgroundColor"
    page.emulate_media(color_scheme="light")
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == "rgb(13, 17, 23)"
    page.reload()  # logged in still (the tab's sessionStorage); focus starts at the top
    expect(page.locator("#functions-table")).to_be_visible()
    page.keyboard.press("Tab")  # the skip link first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.get_by_role("link", name="Clock").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Clock")).to_be_visible()
    expect(page.get_by_role("link", name="Clock")).to_have_attribute("aria-current", "page")


def test_a_function_page_fires_its_s3_and_websocket_triggers(page: Any, emu: Emulator) -> None:
    login(page, emu, "#/functions/thumbnails")
    page.get_by_role("button", name="Upload a sample object").click()
    expect(page.get_by_role("status")).to_contain_text("Uploaded s3://uploads/in/sample-")
    page.goto(f"{emu.url}/_emu/ui#/logs")
    expect(page.locator("#log-table tbody tr", has_text="thumbnails")).to_contain_text("200")
    page.goto(f"{emu.url}/_emu/ui#/functions/chat")
    page.get_by_role("button", name="Send a WebSocket frame").click()
    expect(page.get_by_role("status")).to_have_text("The function answered: echo: hello from the UI")


ECHO = "def handler(event, context):\n    print('records', len(event['Records']))\n    return event\n"


def test_the_invoke_form_sends_a_ready_event_of_the_chosen_kind(page: Any, emu: Emulator) -> None:
    emu.deploy("echo-event", ECHO, triggers=[{"type": "s3_upload", "config": {"bucket": "photos", "prefix": "in/"}}])
    login(page, emu, "#/functions/echo-event")
    expect(page.locator("#inv-kind option")).to_have_text([  # waits for the page to draw them
        "HTTP request", "Event: API Gateway REST (v1) request", "Event: API Gateway HTTP API (v2) request",
        "Event: S3 upload", "Event: Scheduled (cron)", "Event: WebSocket message", "Event: Webhook delivery"])
    page.get_by_label("Send").select_option(label="Event: S3 upload")
    event = page.get_by_label("Event (JSON, editable)")
    expect(event).to_have_value(re.compile(r'"name": "photos"'))
    expect(page.get_by_label("Path")).to_be_hidden()  # the HTTP request's fields are not what is sent
    event.fill(event.input_value().replace('"key": "in/hello.txt"', '"key": "in/edited.png"'))
    page.get_by_role("button", name="Invoke").click()
    result = page.locator("#invoke-result")
    expect(result).to_contain_text("Status 200")
    expect(result.locator(".body")).to_contain_text('"bucket":{"name":"photos"')
    expect(result.locator(".body")).to_contain_text('"key":"in/edited.png"')
    expect(result.locator(".console")).to_contain_text("records 1")
    (entry,) = emu.logs("echo-event")
    assert entry["trigger"] == "invoke" and entry["status_code"] == 200
    page.get_by_label("Send").select_option(label="HTTP request")
    expect(page.get_by_label("Path")).to_be_visible()


def _login_link(emu: Emulator) -> str:
    made = emu.http.post("/_emu/login-links", headers={"Authorization": f"Bearer {emu.token}"})
    assert made.status_code == 201, made.text
    return f"{emu.url}{made.json()['path']}"


def test_a_login_link_logs_in_once(page: Any, emu: Emulator) -> None:
    link = _login_link(emu)
    page.goto(link)
    expect(page.locator("#functions-table tr[data-name=tick]")).to_be_visible()
    assert page.url == f"{emu.url}/_emu/ui#/functions"  # the code left the address bar
    assert page.evaluate("sessionStorage.getItem('fnemu-token')") == emu.token
    other = page.context.browser.new_context()
    try:
        second = other.new_page()
        second.goto(link)
        expect(second.get_by_role("alert").filter(has_text="already used")).to_have_text(
            "This login link was already used: log in with the developer token.")
        expect(second.get_by_label("Developer token")).to_be_visible()
        expect(second.get_by_role("navigation", name="Pages")).to_be_hidden()
        assert second.evaluate("sessionStorage.getItem('fnemu-token')") is None
        second.screenshot(path=str(page_shot("login-link-used")))
    finally:
        other.close()


def _fires(emu: Emulator, name: str) -> list[str]:
    clock = emu.http.get("/_emu/clock", headers={"Authorization": f"Bearer {emu.token}"}).json()
    return next(n["fires"] for n in clock["next"] if n["function"] == name)


def test_the_next_cron_fires_show_and_move_with_the_clock(page: Any, emu: Emulator) -> None:
    login(page, emu, "#/functions/tick")
    fires = _fires(emu, "tick")
    assert len(fires) == 5 and fires[0] == "2026-01-01T09:01:00.000Z"
    expect(page.locator("#cron-fires li")).to_have_text(fires)
    page.get_by_role("link", name="Clock").click()
    listed = page.locator("#cron-table tr[data-name=tick] li")
    expect(listed).to_have_text(fires)
    page.get_by_role("button", name="+1 h").click()
    expect(page.locator("#fired")).to_contain_text("tick at 2026-01-01T10:00:00.000Z → 200")
    moved = _fires(emu, "tick")
    assert moved[0] == "2026-01-01T10:01:00.000Z"
    expect(listed).to_have_text(moved)


BURST = "def handler(event, context):\n    return {'statusCode': 200, 'body': event['path']}\n"


def test_the_log_view_draws_only_the_rows_in_view_and_every_entry_is_reachable(page: Any, emu: Emulator) -> None:
    emu.deploy("burst", BURST, triggers=[{"type": "http", "config": {"auth": "none"}}])
    login(page, emu, "#/logs")
    expect(page.locator("#log-table")).to_be_visible()
    for n in range(300):  # live, while the page is open
        assert emu.call("burst", path=f"/n{n}", auth=False).status_code == 200
    count = page.locator("#log-count")
    expect(count).to_have_text("300 shown of 300 kept")
    rows = page.locator("#log-table tbody tr")
    expect(rows.first).to_contain_text("GET /n299")  # newest on top
    assert rows.count() < 60  # only what is in view, and a few beyond
    box = page.locator("#log-scroll")
    box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
    expect(rows.last).to_contain_text("GET /n0")  # the oldest, at the bottom
    box.evaluate("b => { b.scrollTop = 150 * 30; }")  # half way down: what is in view stays in view
    in_view = page.locator("#log-table tbody tr[aria-rowindex='152']")  # row 150 (the header is row 1)
    expect(in_view).to_contain_text("GET /n149")
    in_view.focus()  # a keyboard user's place
    focused = in_view.get_attribute("data-id")
    top = box.evaluate("b => b.scrollTop")
    for n in range(300, 310):
        emu.call("burst", path=f"/n{n}", auth=False)
    expect(count).to_have_text("310 shown of 310 kept")
    expect(page.locator("#log-table tbody tr", has_text="GET /n149")).to_have_attribute("aria-rowindex", "162")
    assert box.evaluate("b => b.scrollTop") == top + 10 * 30
    assert page.evaluate("document.activeElement.dataset.id") == focused  # still on the same entry
    page.keyboard.press("Enter")
    expect(page.locator("#entry h3")).to_have_text("burst · http · GET /n149")
    page.get_by_label("Text").fill("/n7")  # filtering reaches any entry too
    expect(count).to_have_text("11 shown of 310 kept")  # /n7 and /n70 to /n79
