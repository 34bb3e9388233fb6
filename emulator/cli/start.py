"""`fnemu start`: serve the emulator until interrupted."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..clock import parse_clock
from ..errors import BadRequest
from ..registry.spec import validate_app_id, validate_name
from ..config import (
    DEFAULT_APP_ID,
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_MB,
    DEFAULT_MAX_LOG_ENTRIES,
    DEFAULT_MAX_QUEUE,
    DEFAULT_MAX_WORKERS_PER_FUNCTION,
    DEFAULT_PORT,
    Config,
    default_token,
)
from .group import cli

__all__ = ["start_command"]


def _secret_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from ..api.auth import secret_problem

    problem = None if value is None else secret_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


def _clock_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parse_clock(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("clock: ")) from None
    return value


def _debug_option(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> frozenset[str]:
    names = frozenset(name.strip() for item in value for name in item.split(",") if name.strip())
    for name in names:
        try:
            validate_name(name)
        except BadRequest:
            raise click.BadParameter(f"{name!r} is not a function name") from None
    return names


def _app_id_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return validate_app_id(value)
    except BadRequest as exc:
        raise click.BadParameter(exc.message.removeprefix("app_id: ")) from None


@cli.command("start")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
@click.option("--token", default=None, help="Developer token [env FNEMU_TOKEN; default fnemu-dev-token].")
@click.option("--jwt-secret", envvar="FNEMU_JWT_SECRET", default=None, callback=_secret_option,
              help="Secret that signs end-user tokens (HS256, at least 32 bytes) [env FNEMU_JWT_SECRET; "
                   "default: random per start, shown by GET /_emu/auth].")
@click.option("--app-id", default=DEFAULT_APP_ID, show_default=True, callback=_app_id_option, help="App the functions folder loads into.")
@click.option("--max-log-entries", default=DEFAULT_MAX_LOG_ENTRIES, show_default=True,
              type=click.IntRange(1, 1_000_000), help="Log entries kept per function.")
@click.option("--max-body-mb", default=DEFAULT_MAX_BODY_MB, show_default=True,
              type=click.FloatRange(0.001, 1024), help="Largest request body, in MiB (larger: 413).")
@click.option("--functions-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of functions to serve and watch [default: ./functions if it exists].")
@click.option("--no-watch", is_flag=True, help="Load the folder once; do not reload on save.")
@click.option("--follow-symlinks", is_flag=True,
              help="Load functions whose files are symlinks to outside the functions folder (refused by default).")
@click.option("--no-spares", is_flag=True,
              help="Keep no spare worker process ahead of need: less memory, slower cold starts and reloads.")
@click.option("--max-workers-per-function", default=DEFAULT_MAX_WORKERS_PER_FUNCTION, show_default=True,
              type=click.IntRange(1, 64), help="Warm workers per function under concurrent load.")
@click.option("--max-queue", default=DEFAULT_MAX_QUEUE, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Requests to one function that may wait for a free worker; past it: 429 with Retry-After.")
@click.option("--python", "python", default=None, help="Interpreter for Python functions [default: fnemu's].")
@click.option("--node", "node", default=None, help="Node.js 20+ binary for Node functions [default: node on PATH].")
@click.option("--log-format", type=click.Choice(["pretty", "json"]), default="pretty", show_default=True,
              help="One line per invocation, for people or for tools.")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only (and tool calls awaiting approval).")
@click.option("--verbose", "-v", is_flag=True, help="Print every request too, with its headers.")
@click.option("--clock", "clock", default="real", show_default=True, callback=_clock_option,
              help="The emulator clock: real (follows the wall clock), frozen, or frozen=ISO; a frozen "
                   "clock moves only with `fnemu clock advance`.")
@click.option("--s3-port", default=0, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the fake S3 on 127.0.0.1 (started when a function needs it); 0 picks a free one.")
@click.option("--debug", "debug", multiple=True, callback=_debug_option, metavar="NAME[,NAME]",
              help="Run these functions' workers under a debugger (debugpy for Python, needs "
                   "`pip install fnemu[debug]`; node --inspect for Node), on a printed 127.0.0.1 port; "
                   "one worker each, timeout paused while a debugger is attached.")
@click.option("--debug-wait", is_flag=True, help="A debugged function's first call waits until a debugger attaches.")
@click.option("--debug-port", default=None, type=click.IntRange(0, 65535),
              help="First port for debugged functions [default: 5678 for Python, 9229 for Node; 0: any free].")
def start_command(host: str, port: int, token: str | None, jwt_secret: str | None, app_id: str, max_log_entries: int,
                  max_body_mb: float, functions_dir: Path | None, no_watch: bool, follow_symlinks: bool, no_spares: bool,
                  max_workers_per_function: int, max_queue: int, python: str | None, node: str | None,
                  log_format: str, quiet: bool, verbose: bool, clock: str, s3_port: int, debug: frozenset[str],
                  debug_wait: bool, debug_port: int | None) -> None:
    """Start the emulator.

    \b
    Example:
      fnemu start --port 0 --token secret
    """
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot be used together")
    if functions_dir is None:
        functions_dir = Path("functions") if Path("functions").is_dir() else None
    elif not functions_dir.is_dir():
        raise click.BadParameter(f"{functions_dir} is not a folder", param_hint="--functions-dir")
    fields: dict[str, Any] = dict(host=host, port=port, token=token or default_token(), jwt_secret=jwt_secret, app_id=app_id,
                  max_log_entries=max_log_entries, max_body_bytes=int(max_body_mb * 1024 * 1024),
                  functions_dir=functions_dir.resolve() if functions_dir else None, watch=not no_watch,
                  follow_symlinks=follow_symlinks, spares=not no_spares,
                  max_workers_per_function=max_workers_per_function, max_queue=max_queue, clock=clock, s3_port=s3_port,
                  debug=debug, debug_wait=debug_wait, debug_port=debug_port)
    if python:
        fields["python"] = python
    if node:
        fields["node"] = node
    config = Config(**fields)
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, format="%(message)s", stream=sys.stderr)
    if not _is_loopback(host):
        logging.getLogger("fnemu.server").warning(
            "warning: listening on %s, beyond this machine: anyone who can reach it and knows the developer "
            "token can deploy and run code (the default token is public)", host)
    with _without_ca_bundle():
        from ..server import run  # here, so client commands do not pay for importing the server

    try:
        _run(run(config, log_format=log_format, level="quiet" if quiet else "verbose" if verbose else "normal"))
    except OSError as exc:
        raise click.ClickException(f"could not listen on {host}:{port}: {exc.strerror or exc}") from None
    # Stopped cleanly (workers killed, files removed, output flushed below): skip the interpreter's
    # teardown of every loaded module, over a second once moto is loaded, so a stop stays under 2 s.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@contextmanager
def _without_ca_bundle() -> Iterator[None]:
    """aiohttp builds two TLS client contexts as it is imported, each reading the system's whole CA
    bundle: 50-100 ms, a fifth of the start-up. The emulator never opens a TLS connection, so
    while the server is imported the bundle file is the empty `os.devnull` (OpenSSL's certificate
    directory stays, read certificate by certificate if one is ever verified). A bundle the user
    names in SSL_CERT_FILE is kept. Only `fnemu start` does this: the pytest plugin's process runs
    the user's own code."""
    if "SSL_CERT_FILE" in os.environ:
        yield
        return
    os.environ["SSL_CERT_FILE"] = os.devnull
    try:
        yield
    finally:
        del os.environ["SSL_CERT_FILE"]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve beyond loopback


def _run(coro: Coroutine[Any, Any, None]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        asyncio.run(coro)
    else:
        uvloop.run(coro)
