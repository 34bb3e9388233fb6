"""The UI's accessibility, measured in Chromium: WCAG contrast of every visible text in light and
dark themes, an accessible name on every form control, and the whole way through by keyboard.
Each page, in each theme, is saved as a screenshot."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from emulator.pytest_plugin import Emulator

from .conftest import login, page_shot

CONTRAST = """() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1); };
  const background = (el) => {  // the colour behind el: its own and its ancestors' backgrounds, composited
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
    }
    let out = [255, 255, 255, 1];
    for (const c of layers.reverse()) out = over(c, out);
    return out;
  };
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const out = [];
  const check = (el, colour, what) => {
    const style = getComputedStyle(el);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const bg = background(el);
    const r = ratio(over(parse(colour), bg), bg);
    out.push({ what, ratio: Math.round(r * 100) / 100, need: large ? 3 : 4.5, colour, bg: bg.slice(0, 3).join(",") });
  };
  for (const el of document.querySelectorAll("body *")) {
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.replace(/ /g, ".") : ""}`;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (text) check(el, getComputedStyle(el).color, `${name} "${text.slice(0, 40)}"`);
    if (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) && el.type !== "file") {
      if (el.value) check(el, getComputedStyle(el).color, `${name} value`);
      if (el.placeholder) check(el, getComputedStyle(el, "::placeholder").color, `${name} placeholder`);
    }
  }
  return out;
}"""

CONTROL_ROLES = {"button", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "spinbutton",
                 "slider", "switch", "link"}


def _unnamed_controls(page: Any) -> tuple[list[str], int]:
    """Controls whose accessible name, as Chromium computes it, is empty; and how many controls."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    out, total = [], 0
    for node in nodes:
        role = node.get("role", {}).get("value")
        if node.get("ignored") or role not in CONTROL_ROLES:
            continue
        total += 1
        if not str(node.get("name", {}).get("value", "")).strip():
            out.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return out, total


def _states(emu: Emulator, tmp_path: Path) -> list[tuple[str, str, Callable[[Any], None]]]:
    """(name, where, what to do there): every page, with what it shows filled in."""
    upload = tmp_path / "cat.txt"
    upload.write_text("meow")

    def invoked(page: Any) -> None:
        page.get_by_label("Query (a=1&b=2)").fill("name=Ada")
        page.get_by_role("button", name="Invoke").click()
        expect(page.locator("#invoke-result .console")).to_contain_text("greeting Ada")

    def failed(page: Any) -> None:  # an error body and a 500 status, in the result's colours
        page.get_by_label("Send").select_option(label="Event: S3 upload")
        expect(page.get_by_label("Event (JSON, editable)")).to_have_value(re.compile("Records"))
        page.get_by_role("button", name="Invoke").click()
        expect(page.locator("#invoke-result")).to_contain_text("Status")

    def opened(page: Any) -> None:
        row = page.locator("#log-table tbody tr", has_text="hello").first
        row.click()
        expect(page.locator("#entry #trace")).to_be_visible()

    def advanced(page: Any) -> None:
        page.get_by_role("button", name="+1 min").click()
        expect(page.locator("#fired")).to_contain_text("tick at")

    def uploaded(page: Any) -> None:
        page.get_by_label("File").set_input_files(str(upload))
        page.get_by_role("button", name="Upload").click()
        expect(page.locator("#objects tr[data-key='in/cat.txt']")).to_be_visible()

    def held(page: Any) -> None:
        expect(page.locator("#approvals article")).to_have_count(1)

    def broken(page: Any) -> None:
        folder = emu.server.config.functions_dir
        assert folder is not None
        (folder / "greet.py").write_text("def handler(event, context)\n    return 1\n")
        expect(page.locator("#banner")).to_be_visible()

    return [
        ("functions", "#/functions", broken),
        ("function", "#/functions/hello", invoked),
        ("function-event", "#/functions/hello", failed),
        ("logs", "#/logs", opened),
        ("clock", "#/clock", advanced),
        ("s3", "#/s3", lambda page: expect(page.locator("#buckets li", has_text="uploads")).to_be_visible()),
        ("bucket", "#/s3/uploads", uploaded),
        ("approvals", "#/approvals", held),
    ]


def test_every_text_has_enough_contrast_and_every_control_a_name_in_both_themes(
        page: Any, emu: Emulator, tmp_path: Path) -> None:
    emu.call("hello", path="/?name=Log", auth=False)
    emu.http.put("/_emu/s3/buckets/uploads", headers={"Authorization": f"Bearer {emu.token}"})
    emu.call_tool("refund", {"account": "acct_1", "amount": 5})
    page.goto(f"{emu.url}/_emu/ui")
    failures: list[str] = []
    checked = 0
    for scheme in ("light", "dark"):  # the login page, with its message
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{emu.url}/_emu/ui/login?code=made-up")
        expect(page.locator("#login-error")).to_contain_text("not one of this emulator's")
        page.screenshot(path=str(page_shot(f"page-login-{scheme}")), full_page=True)
        for item in page.evaluate(CONTRAST):
            checked += 1
            if item["ratio"] < item["need"]:
                failures.append(f"login/{scheme}: {item}")
    unnamed, controls = _unnamed_controls(page)
    failures += [f"login: unnamed {c}" for c in unnamed]
    login(page, emu)
    for name, where, act in _states(emu, tmp_path):
        page.emulate_media(color_scheme="light")
        page.goto(f"{emu.url}/_emu/ui{where}")
        expect(page.locator("#page h2")).to_be_visible()
        act(page)
        unnamed, total = _unnamed_controls(page)
        failures += [f"{name}: unnamed {c}" for c in unnamed]
        controls += total
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.screenshot(path=str(page_shot(f"page-{name}-{scheme}")), full_page=True)
            for item in page.evaluate(CONTRAST):
                checked += 1
                if item["ratio"] < item["need"]:
                    failures.append(f"{name}/{scheme}: {item}")
    assert checked > 500 and controls > 100
    assert not failures, "\n".join(failures)


def _tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_log_in_invoke_and_move_between_pages_with_tab_and_enter_only(page: Any, emu: Emulator) -> None:
    page.goto(f"{emu.url}/_emu/ui")
    _tab_to(page, "#token")
    page.keyboard.type(emu.token)
    page.keyboard.press("Enter")
    expect(page.locator("#functions-table tr[data-name=hello]")).to_be_visible()
    _tab_to(page, "#functions-table a[href='#/functions/hello']")
    page.keyboard.press("Enter")
    expect(page.locator("#code")).to_contain_text("def lambda_handler")
    _tab_to(page, "#invoke-form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#invoke-result")).to_contain_text("Status 200")
    for name in ("Logs", "Clock", "Functions"):
        _tab_to(page, f"nav a[href='#/{name.lower()}']")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=re.compile(f"^{name}"))).to_be_visible()
        expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")
        if name == "Logs":  # the invocation just made opens with its trace
            _tab_to(page, "#log-table tbody tr")
            page.keyboard.press("Enter")
            expect(page.locator("#entry #trace [data-phase=handler]")).to_be_visible()
