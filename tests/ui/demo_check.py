"""Run by tests/ui/test_demo.py, inside a network namespace with only loopback where `unshare -n`
works: start `fnemu demo`, then make every sample answer through its own trigger, and open the
login link in headless Chromium. Exits non-zero with the reason on the first failure."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from emulator.client import Client

ROOT = Path(__file__).resolve().parent.parent.parent


def _wait(check: object, what: str, timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()  # type: ignore[operator]
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def check(url: str, token: str) -> list[str]:
    """Each sample through its trigger; the names that answered."""
    auth = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(base_url=url, headers=auth, timeout=30)
    client = Client(url, token, "local")
    answered = []
    for fn in client.list():
        name, types = fn["name"], {t["type"] for t in fn["triggers"]}
        if "http" in types:
            status = http.request("POST" if name == "agent_action" else "GET", f"/v1/local/fn/{name}").status_code
            assert status < 500, f"{name}: {status}"
        if "cron" in types:
            assert http.post(f"/_emu/cron/local/{name}").json()["status_code"] == 200, name
        if "webhook" in types:
            assert client.webhook_send(name).status_code == 200, name
        if "websocket" in types:
            with connect(fn["triggers"][0]["url"]) as ws:
                ws.send("hi")
                assert ws.recv(timeout=20) == "echo: hi", name
        if "s3_upload" in types:
            bucket, prefix = fn["triggers"][0]["config"]["bucket"], fn["triggers"][0]["config"]["prefix"]
            put = http.put(f"/_emu/s3/buckets/{bucket}/objects/{prefix}demo.txt", content=b"demo")
            assert put.status_code == 201, put.text
            _wait(lambda n=name: client.logs(n), f"{name}'s upload")
            assert client.logs(name)[0]["status_code"] == 200, name
        answered.append(name)
    [held] = http.get("/_emu/approvals").json()["approvals"]
    assert http.post(f"/_emu/approvals/{held['id']}", json={"approve": True}).json()["status_code"] == 200
    return answered


def browse(link: str, url: str, screenshot: Path) -> str:
    """Open the one-time login link in Chromium (without one, trade its code over HTTP, as the page
    does); the token it logged in with."""
    chromium = shutil.which("chromium")
    if chromium is None:
        print("no chromium: the page was not opened")
        code = link.partition("?code=")[2]
        token: str = httpx.post(f"{url}/_emu/ui/login", json={"code": code}).json()["token"]
        return token
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(link)
        expect(page.locator("#functions-table tr[data-name=tick]")).to_be_visible(timeout=15_000)
        assert page.url == f"{url}/_emu/ui#/functions", page.url  # the code left the address bar
        token = page.evaluate("sessionStorage.getItem('fnemu-token')")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return token


def main() -> None:
    artifacts = Path(sys.argv[1])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    demo = subprocess.Popen([sys.executable, "-m", "emulator", "demo", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert demo.stdout is not None
        link = None
        while link is None:
            line = demo.stdout.readline()
            if not line:
                raise SystemExit("fnemu demo ended before printing its login link")
            found = re.search(r"(http://127\.0\.0\.1:\d+)/_emu/ui/login\?code=\S+", line)
            if found:
                link, url = found.group(0), found.group(1)
        _wait(lambda: "refund awaits approval" in demo.stdout.readline(), "the held refund call")  # type: ignore[union-attr]
        token = browse(link, url, artifacts / "demo.png")
        spent = httpx.post(f"{url}/_emu/ui/login", json={"code": link.partition("?code=")[2]})
        assert spent.status_code == 410, f"a second use of the login link: {spent.status_code}"
        answered = check(url, token)
        print("answered:", " ".join(sorted(answered)))
    finally:
        demo.terminate()
        demo.wait(20)


if __name__ == "__main__":
    main()
