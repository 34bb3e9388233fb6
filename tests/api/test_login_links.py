"""One-time login links to the UI: made with the developer token, traded once for it."""

from __future__ import annotations

from emulator.pytest_plugin import Emulator

from .expect import api_error


def _make(emu: Emulator) -> dict[str, str]:
    r = emu.http.post("/_emu/login-links", headers={"Authorization": f"Bearer {emu.token}"})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_link_is_traded_for_the_token_once(fnemu: Emulator) -> None:
    link = _make(fnemu)
    assert link["path"] == f"/_emu/ui/login?code={link['code']}"
    page = fnemu.http.get(link["path"])
    assert page.status_code == 200 and 'src="/_emu/ui/app.js"' in page.text  # the UI, which trades the code
    first = fnemu.http.post("/_emu/ui/login", json={"code": link["code"]})
    assert first.status_code == 200 and first.json() == {"token": fnemu.token}
    assert first.headers["Cache-Control"] == "no-store"
    api_error(fnemu.http.post("/_emu/ui/login", json={"code": link["code"]}), 410, "code", "already used")


def test_each_link_is_its_own_and_a_wrong_code_is_404(fnemu: Emulator) -> None:
    one, two = _make(fnemu), _make(fnemu)
    assert one["code"] != two["code"]
    assert fnemu.http.post("/_emu/ui/login", json={"code": two["code"]}).status_code == 200
    assert fnemu.http.post("/_emu/ui/login", json={"code": one["code"]}).status_code == 200
    api_error(fnemu.http.post("/_emu/ui/login", json={"code": "made-up"}), 404, "code", "not a login link")


def test_making_a_link_needs_the_developer_token_and_trading_needs_a_code(fnemu: Emulator) -> None:
    assert fnemu.http.post("/_emu/login-links").status_code == 401
    user = {"Authorization": f"Bearer {fnemu.user_token('u1')}"}
    assert fnemu.http.post("/_emu/login-links", headers=user).status_code == 403
    api_error(fnemu.http.post("/_emu/ui/login", json={}), 400, "code", "required")
    api_error(fnemu.http.post("/_emu/ui/login", json={"code": 1}), 400, "code", "required")
    api_error(fnemu.http.post("/_emu/ui/login", json={"code": "x", "token": "y"}), 400, "token", "unknown field")
    api_error(fnemu.http.post("/_emu/ui/login"), 400, "body", "required")
