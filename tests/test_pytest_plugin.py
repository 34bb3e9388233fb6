"""§12 the pytest plugin, met the way users meet it: an inner pytest session in a subprocess."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

HELLO = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=180)


def test_sync_test_uses_every_member(pytester):
    pytester.makepyfile(test_user=f'''
        def test_it(fnemu):
            fn = fnemu.deploy("hello", {HELLO!r})
            assert fn["version"] == 1 and fnemu.url.startswith("http://127.0.0.1:")
            r = fnemu.call("hello")
            assert r.status_code == 200 and r.text == "hi"
            assert fnemu.call("hello", auth=False).status_code == 401
            token = fnemu.user_token("user-1", role="admin")
            assert fnemu.call("hello", headers={{"Authorization": "Bearer " + token}}).text == "hi"
            envelope = fnemu.invoke("hello", method="POST", path="/x", body={{"a": 1}})
            assert envelope["status_code"] == 200 and envelope["body"] == "hi"
            assert [e["trigger"] for e in fnemu.logs("hello")] == ["invoke", "http", "http", ]

        def test_state_is_reset_between_tests(fnemu):
            assert fnemu.client.list() == []
    ''')
    result = run(pytester)
    result.assert_outcomes(passed=2)


def test_async_tests_work(pytester):
    pytester.makepyfile(test_user=f'''
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_async(fnemu):
            fnemu.deploy("hello", {HELLO!r})
            await asyncio.sleep(0)
            assert fnemu.call("hello").text == "hi"
    ''')
    run(pytester).assert_outcomes(passed=1)


ASYNC_USER = f'''
    import pytest
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def greeting():
        return "hi"

    @pytest.mark.asyncio
    async def test_async(fnemu, greeting):
        fnemu.deploy("hello", {HELLO!r})
        assert fnemu.call("hello").text == greeting
'''


def test_a_fresh_project_runs_without_pytest_asyncios_loop_scope_warning(pytester):
    """pytest-asyncio warns when `asyncio_default_fixture_loop_scope` is unset; a project that only
    adds fnemu has not set it, and must see no warning: the plugin gives it `function`."""
    pytester.makepyfile(test_user=ASYNC_USER)
    result = run(pytester, "-W", "always", "-r", "w")
    result.assert_outcomes(passed=1, warnings=0)
    output = result.stdout.str() + result.stderr.str()
    assert "configfile" not in output
    assert "asyncio_default_fixture_loop_scope=function" in output
    assert output.count("asyncio_default_fixture_loop_scope") == 1, output


@pytest.mark.parametrize("setting", ["ini", "override"])
def test_the_projects_own_loop_scope_wins(pytester, setting):
    pytester.makepyfile(test_user=ASYNC_USER)
    if setting == "ini":
        pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = module\n")
        result = run(pytester)
    else:
        result = run(pytester, "-o", "asyncio_default_fixture_loop_scope=module")
    result.assert_outcomes(passed=1)
    assert "asyncio_default_fixture_loop_scope=module" in result.stdout.str()


def test_marker_and_ini_option_serve_a_folder(pytester):
    folder = pytester.mkdir("functions")
    (folder / "hello.py").write_text(HELLO)
    other = pytester.mkdir("other")
    (other / "bye.py").write_text(HELLO.replace("hi", "bye"))
    pytester.makeini("[pytest]\nfnemu_functions_dir = functions\n")
    pytester.makepyfile(test_user='''
        import pytest

        def test_ini_folder(fnemu):
            assert fnemu.call("hello").text == "hi"

        @pytest.mark.fnemu(functions_dir="other")
        def test_marker_folder(fnemu):
            assert fnemu.call("bye").text == "bye"
            assert fnemu.call("hello").status_code == 404
    ''')
    run(pytester).assert_outcomes(passed=2)


def test_deploy_dir_uses_the_folder_in_place(pytester):
    fn_dir = pytester.mkdir("greeter")
    (fn_dir / "main.py").write_text("from words import WORD\n"
                                    "def handler(event, context):\n    return {'statusCode': 200, 'body': WORD}\n")
    (fn_dir / "words.py").write_text("WORD = 'howdy'\n")
    (fn_dir / "function.json").write_text('{"timeoutMs": 2000}')
    pytester.makepyfile(test_user='''
        def test_it(fnemu):
            fn = fnemu.deploy_dir("greeter")
            assert fn["name"] == "greeter" and fn["timeoutMs"] == 2000
            assert fnemu.call("greeter").text == "howdy"
    ''')
    run(pytester).assert_outcomes(passed=1)


def test_each_xdist_worker_gets_its_own_emulator(pytester):
    pytester.makepyfile(test_user='''
        import pytest

        @pytest.mark.parametrize("i", range(4))
        def test_it(fnemu, i, worker_id):
            fnemu.deploy(f"fn{i}", "def handler(e, c):\\n    return {'statusCode': 200, 'body': 'x'}\\n")
            names = [f["name"] for f in fnemu.client.list()]
            assert names == [f"fn{i}"]
            with open(f"url-{worker_id}-{i}", "w") as f:
                f.write(fnemu.url)
    ''')
    run(pytester, "-n", "2").assert_outcomes(passed=4)
    urls = {p.read_text() for p in pytester.path.glob("url-*")}
    workers = {p.name.split("-")[1] for p in pytester.path.glob("url-*")}
    assert len(workers) == 2 and len(urls) == 2


def test_a_failing_function_shows_its_output_in_the_report(pytester):
    pytester.makepyfile(test_user='''
        def test_it(fnemu):
            fnemu.deploy("broken", "def handler(e, c):\\n    print('about to fail: marker-42')\\n    raise ValueError('kaput')\\n")
            assert fnemu.call("broken").status_code == 200
    ''')
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*fnemu invocations*", "*broken [[]http[]] GET / -> 500*",
                                 "*log: about to fail: marker-42*", "*ValueError: kaput*"])


def test_a_refused_deploy_is_one_clear_error_without_client_frames(pytester):
    pytester.makepyfile(test_user='''
        import pytest
        from emulator.client import DeployFailed

        def test_bad_code(fnemu):
            fnemu.deploy("broken", "def handler(e, c:\\n    pass\\n")

        def test_bad_field(fnemu):
            fnemu.deploy("fn", "def handler(e, c):\\n    return {}\\n", timeoutMs=0)

        def test_bad_folder(fnemu, tmp_path):
            (tmp_path / "broken").mkdir()
            (tmp_path / "broken" / "main.py").write_text("def handler(e, c:\\n")
            fnemu.deploy_dir(tmp_path / "broken")

        def test_it_can_be_caught(fnemu):
            with pytest.raises(DeployFailed) as refused:
                fnemu.deploy("fn", "def handler(e, c:\\n")
            assert (refused.value.status, refused.value.code, refused.value.field) == (400, "deploy_failed", "code")
    ''')
    result = run(pytester, "--tb=long")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines([
        "*fnemu.deploy(\"broken\"*",
        "E *emulator.client.DeployFailed: deploy failed (400 deploy_failed): code: SyntaxError: *line 1*",
        "*fnemu.deploy(\"fn\"*timeoutMs=0)",
        "E *emulator.client.DeployFailed: deploy failed (400 bad_request): timeoutMs: *",
        "*fnemu.deploy_dir(*",
        "E *emulator.client.DeployFailed: deploy failed (400 deploy_failed): code: SyntaxError: *line 1*",
    ])
    output = result.stdout.str()
    assert "client.py" not in output and "pytest_plugin.py" not in output and "Traceback" not in output
    assert re.findall(r"^(\S+):\d+: ", output, re.M) == ["test_user.py"] * 3


def test_the_readme_example_passes_as_written(pytester):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## pytest plugin"):]
    example = section[section.index("```python") + len("```python"):]
    pytester.makepyfile(test_readme=example[: example.index("```")])
    run(pytester).assert_outcomes(passed=1)


def test_loading_the_plugin_imports_the_emulator_only_when_the_fixture_is_used(pytester):
    pytester.makepyfile(test_user='''
        import sys

        HEAVY = ("aiohttp", "httpx", "moto", "boto3", "emulator.server", "emulator.client", "emulator.keys")

        def test_a_suite_without_the_fixture_pays_nothing():
            assert "emulator.pytest_plugin" in sys.modules
            assert [name for name in HEAVY if name in sys.modules] == []

        def test_the_fixture_brings_the_server(fnemu):
            assert "emulator.server" in sys.modules and "httpx" in sys.modules
    ''')
    run(pytester).assert_outcomes(passed=2)


def test_the_emulator_is_imported_without_pytests_assertion_rewriting(pytester, monkeypatch):
    """pytest would rewrite every module of the package its plugin ships in, from source and, with
    bytecode off, in every run; the plugin steps around it for the server and its client."""
    pytester.makepyfile(test_user='''
        import sys

        def test_it(fnemu):
            rewritten = sorted(name for name, module in list(sys.modules.items())
                               if name.split(".")[0] == "emulator"
                               and type(getattr(module, "__loader__", None)).__name__ == "AssertionRewritingHook")
            assert "emulator.server" in sys.modules and "emulator.client" in sys.modules
            assert rewritten == ["emulator", "emulator.pytest_plugin", "emulator.urls"]
    ''')
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    run(pytester).assert_outcomes(passed=1)
