"""§5 both bootstraps speak protocol.py: the same frames in, the same kinds of frames out."""

from __future__ import annotations

import base64

import pytest

from emulator.errors import LoadError

from .workers import Spawn, invoke

LANGUAGES = ["python", "node"]

ECHO = {
    "python": "def handler(event, context):\n"
              "    return {'event': event, 'request_id': context.aws_request_id}\n",
    "node": "export const handler = async (event, context) =>\n"
            "  ({ event, request_id: context.awsRequestId });\n",
}

CONSOLE = {
    "python": "import logging, sys\n"
              "def handler(event, context):\n"
              "    print('to stdout')\n"
              "    logging.info('an info')\n"
              "    logging.warning('a warning')\n"
              "    logging.critical('a critical')\n"
              "    sys.stderr.write('to stderr\\n')\n",
    "node": "export const handler = async () => {\n"
            "  console.log('to stdout');\n"
            "  console.info('an info');\n"
            "  await new Promise((resolve) => setTimeout(resolve, 1));\n"
            "  console.warn('a warning');\n"
            "  console.error('a critical');\n"
            "  console.debug('a debug');\n"
            "};\n",
}
CONSOLE_LINES = {
    "python": [("log", "to stdout"), ("info", "an info"), ("warn", "a warning"), ("error", "a critical"),
               ("error", "to stderr")],
    "node": [("log", "to stdout"), ("info", "an info"), ("warn", "a warning"), ("error", "a critical"),
             ("debug", "a debug")],
}

RAISES = {
    "python": "def handler(event, context):\n"
              "    raise ValueError('bad input')\n",
    "node": "export const handler = async () => {\n"
            "  throw new TypeError('bad input');\n"
            "};\n",
}
RAISED = {"python": "ValueError: bad input (fn0.py, line 2)", "node": "TypeError: bad input (fn0.mjs, line 2)"}

SYNTAX_ERROR = {
    "python": "def handler(event, context):\n    return 1\n\nx = (\n",
    "node": "export const handler = async () => 1;\n\nconst x = ;\n",
}
SYNTAX_LINE = {"python": 4, "node": 3}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_ready_then_a_result_per_invoke(spawn: Spawn, language: str) -> None:
    worker = await spawn(ECHO[language], language)
    for n in (1, 2):
        result = await worker.call(invoke(n, {"n": n, "text": "héllo"}), 10)
        assert result.value == {"event": {"n": n, "text": "héllo"}, "request_id": f"r{n}"}
        assert result.error is None
        assert result.memory_kb > 1024


@pytest.mark.parametrize("language", LANGUAGES)
async def test_log_frames_carry_their_level_in_order(spawn: Spawn, language: str) -> None:
    worker = await spawn(CONSOLE[language], language)
    for n in (1, 2):
        result = await worker.call(invoke(n), 10)
        assert [(level, text) for level, text, _ in result.console] == CONSOLE_LINES[language]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_an_error_frame_names_the_error_and_the_users_line(spawn: Spawn, language: str) -> None:
    worker = await spawn(RAISES[language], language)
    result = await worker.call(invoke(1), 10)
    assert result.error == RAISED[language]
    assert result.traceback and "bad input" in result.traceback
    assert "_worker" not in result.traceback  # the bootstrap's own frames are left out
    assert worker.alive


@pytest.mark.parametrize("language", LANGUAGES)
async def test_load_error_has_the_message_and_line(spawn: Spawn, language: str) -> None:
    with pytest.raises(LoadError) as caught:
        await spawn(SYNTAX_ERROR[language], language)
    assert caught.value.message.startswith("SyntaxError: ")
    assert caught.value.line == SYNTAX_LINE[language]


RAW = {
    "web": ("node", "export default async (req) =>\n"
                    "  new Response(`${req.method} ${new URL(req.url).pathname} ${await req.text()}`, { status: 201 });\n"),
    "gcf": ("python", "def main(request):\n"
                      "    return f'{request.method} {request.path} {request.get_data(as_text=True)}', 201\n"),
    "azure": ("python", "import azure.functions as func\n"
                        "def main(req):\n"
                        "    path = req.url.split('/api/fn', 1)[1].split('?')[0]\n"
                        "    return func.HttpResponse(f'{req.method} {path} {req.get_body().decode()}', status_code=201)\n"),
}


@pytest.mark.parametrize("style", list(RAW))
async def test_raw_request_styles_reply_status_header_pairs_and_base64_body(spawn: Spawn, style: str) -> None:
    """The styles that build their runtime's own request (events/web.py) answer one reply shape."""
    language, code = RAW[style]
    worker = await spawn(code, language, style=style)
    url = "http://127.0.0.1:1/api/fn/a/b?x=1" if style == "azure" else "http://127.0.0.1:1/a/b?x=1"
    event = {"method": "POST", "url": url, "headers": [["Content-Type", "text/plain"]],
             "body": base64.b64encode(b"hi").decode(), "route_params": {}}
    result = await worker.call(invoke(1, event), 10)
    assert result.error is None, result.error
    assert result.value["status"] == 201
    assert base64.b64decode(result.value["body"]) == b"POST /a/b hi"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.value["headers"])
