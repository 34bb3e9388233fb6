"""The targets' baseline: a bare aiohttp JSON handler written as aiohttp's own docs write one.

A plain `web.Application` and `web.run_app`: asyncio's default event loop, aiohttp's default
access logger (it writes only where logging is configured, and a first script configures none),
run_app's own signal handling. This is the baseline the targets were set against;
bare_server.py is the leaner one (uvloop, no access logger) that `fnemu start` is served like.
argv: the port (run_app prints a URL only once its output is flushed).
"""

import sys

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    return web.json_response({"message": "hello"})


app = web.Application()
app.add_routes([web.get("/hello", hello)])

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]))
