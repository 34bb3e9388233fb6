"""A real headless Chromium from Debian's packages, driven by Playwright (`make test` installs it;
none of Playwright's own browsers is used). Without it every browser test skips, saying why."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from emulator.pytest_plugin import Emulator

expect.set_options(timeout=15_000)
"""Every `expect` waits as long as the page's own actions (5 s by default): a cold worker on a
busy 2-core CI machine can take seconds to answer."""

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
"""Screenshots of each page (git-ignored)."""
SAMPLES = Path(__file__).resolve().parent.parent.parent / "sample_functions"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Per module: Playwright's sync API runs its event loop in this thread while it is started,
    and an asyncio test that the same xdist worker runs afterwards would find it running."""
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("no chromium on PATH: `apt-get install chromium` (what `make test` runs) could not install it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    tab.screenshot(path=str(page_shot(request.node.name)), full_page=True)
    context.close()


@pytest.fixture
def emu(make_emulator: Callable[..., Emulator], tmp_path: Path) -> Emulator:
    """An emulator serving a copy of the samples, its clock frozen at 2026-01-01T09:00:30Z."""
    folder = tmp_path / "functions"
    shutil.copytree(SAMPLES, folder)
    return make_emulator(functions_dir=folder, clock="frozen=2026-01-01T09:00:30Z")


def login(page: Any, emu: Emulator, where: str = "") -> None:
    page.goto(f"{emu.url}/_emu/ui{where}")
    page.get_by_label("Developer token").fill(emu.token)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()


def page_shot(name: str) -> Path:
    """Where a screenshot named `name` goes."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
