"""The `fnemu` command (click)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import orjson

from . import __version__
from .client import DEFAULT_URL, Client, ClientError
from .config import (
    DEFAULT_APP_ID,
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_MB,
    DEFAULT_MAX_LOG_ENTRIES,
    DEFAULT_MAX_WORKERS_PER_FUNCTION,
    DEFAULT_PORT,
    DEFAULT_TOKEN,
    Config,
    default_token,
)
from .folder.scan import FOLDER_ENTRIES, FolderError, find, read_body, read_spec

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fnemu")
def cli() -> None:
    """fnemu: the Functions platform on your laptop, offline.

    \b
    Example:
      fnemu start --port 8787
    """


@cli.command("start")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
@click.option("--token", default=None, help="Developer token [env FNEMU_TOKEN; default fnemu-dev-token].")
@click.option("--app-id", default=DEFAULT_APP_ID, show_default=True, help="App the functions folder loads into.")
@click.option("--max-log-entries", default=DEFAULT_MAX_LOG_ENTRIES, show_default=True,
              type=click.IntRange(1, 1_000_000), help="Log entries kept per function.")
@click.option("--max-body-mb", default=DEFAULT_MAX_BODY_MB, show_default=True,
              type=click.FloatRange(0.001, 1024), help="Largest request body, in MiB (larger: 413).")
@click.option("--functions-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of functions to serve and watch [default: ./functions if it exists].")
@click.option("--no-watch", is_flag=True, help="Load the folder once; do not reload on save.")
@click.option("--max-workers-per-function", default=DEFAULT_MAX_WORKERS_PER_FUNCTION, show_default=True,
              type=click.IntRange(1, 64), help="Warm workers per function under concurrent load.")
@click.option("--python", "python", default=None, help="Interpreter for Python functions [default: fnemu's].")
@click.option("--log-format", type=click.Choice(["pretty", "json"]), default="pretty", show_default=True,
              help="One line per invocation, for people or for tools.")
def start_command(host: str, port: int, token: str | None, app_id: str, max_log_entries: int,
                  max_body_mb: float, functions_dir: Path | None, no_watch: bool,
                  max_workers_per_function: int, python: str | None, log_format: str) -> None:
    """Start the emulator.

    \b
    Example:
      fnemu start --port 0 --token secret
    """
    if functions_dir is None:
        functions_dir = Path("functions") if Path("functions").is_dir() else None
    elif not functions_dir.is_dir():
        raise click.BadParameter(f"{functions_dir} is not a folder", param_hint="--functions-dir")
    fields = dict(host=host, port=port, token=token or default_token(), app_id=app_id,
                  max_log_entries=max_log_entries, max_body_bytes=int(max_body_mb * 1024 * 1024),
                  functions_dir=functions_dir.resolve() if functions_dir else None, watch=not no_watch,
                  max_workers_per_function=max_workers_per_function)
    if python:
        fields["python"] = python
    config = Config(**fields)  # type: ignore[arg-type]
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    from .server import run

    try:
        _run(run(config, log_format=log_format))
    except OSError as exc:
        raise click.ClickException(f"could not listen on {host}:{port}: {exc.strerror or exc}") from None


def _run(coro: object) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        asyncio.run(coro)  # type: ignore[arg-type]
    else:
        uvloop.run(coro)  # type: ignore[arg-type]


def _client_options(func: Callable[..., None]) -> Callable[..., None]:
    """--url, --token and --app-id for the commands that talk to a running fnemu."""
    func = click.option("--app-id", default=DEFAULT_APP_ID, show_default=True, help="App of the function.")(func)
    func = click.option("--token", envvar="FNEMU_TOKEN", default=DEFAULT_TOKEN, show_default=True,
                        help="Developer token [env FNEMU_TOKEN].")(func)
    func = click.option("--url", envvar="FNEMU_URL", default=DEFAULT_URL, show_default=True,
                        help="The running fnemu [env FNEMU_URL].")(func)
    return func


def _json_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


@contextmanager
def _client(url: str, token: str, app_id: str) -> Iterator[Client]:
    """A client whose errors become one `Error:` line and a non-zero exit."""
    client = Client(url, token, app_id)
    try:
        yield client
    except ClientError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        client.close()


def _print_json(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


@cli.command("list")
@_client_options
@_json_option
def list_command(url: str, token: str, app_id: str, as_json: bool) -> None:
    """List the deployed functions.

    \b
    Example:
      fnemu list --json
    """
    with _client(url, token, app_id) as client:
        functions = client.list()
    if as_json:
        _print_json(functions)
        return
    if not functions:
        click.echo(f"no functions in app {app_id}")
        return
    click.echo(f"{'name':<24} {'lang':<7} {'runtime':<7} {'ver':>4}  {'source':<7} triggers")
    for fn in functions:
        triggers = ", ".join(t["type"] for t in fn["triggers"]) or "-"
        click.echo(f"{fn['name']:<24} {fn['language']:<7} {fn['runtime']:<7} {fn['version']:>4}  "
                   f"{fn['source']:<7} {triggers}")


@cli.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@_client_options
@_json_option
def deploy_command(path: Path, url: str, token: str, app_id: str, as_json: bool) -> None:
    """Deploy the function at PATH (NAME.py, NAME.js, NAME.mjs with NAME.json beside it, or a
    NAME/ folder with function.json and .env): its entry file's code and its config.

    \b
    Example:
      fnemu deploy functions/hello.py
    """
    path = path.resolve()
    name = path.name if path.is_dir() else path.stem
    try:
        found = find(path.parent, name)
        if found is None:
            raise click.ClickException(f"{path}: no function here (a .py/.js/.mjs file, or a folder with "
                                       f"{', '.join(FOLDER_ENTRIES)})")
        read_spec(found)
        body = read_body(found)
    except FolderError as exc:
        raise click.ClickException(str(exc)) from None
    with _client(url, token, app_id) as client:
        fn = client.api("POST", client.functions_path(), json=body)
    if as_json:
        _print_json(fn)
    else:
        click.echo(f"deployed {fn['name']} v{fn['version']}: {fn['url']}")


def _parse_data(data: str | None) -> Any:
    if data is None:
        return None
    text = data
    if data.startswith("@"):
        try:
            text = Path(data[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {data[1:]}: {exc.strerror}", param_hint="--data") from None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON ({exc})", param_hint="--data") from None


@cli.command("invoke")
@click.argument("name")
@click.option("--data", help="Request body: JSON text, or @FILE with JSON.")
@click.option("--method", default="POST", show_default=True, help="HTTP method the function sees.")
@click.option("--path", "req_path", default="/", show_default=True, help="Path below the function's URL.")
@_client_options
@_json_option
def invoke_command(name: str, data: str | None, method: str, req_path: str, url: str, token: str,
                   app_id: str, as_json: bool) -> None:
    """Test-invoke NAME and show its response, console output and error.

    \b
    Example:
      fnemu invoke hello --data '{"name": "Ada"}'
    """
    request: dict[str, Any] = {"method": method.upper(), "path": req_path}
    body = _parse_data(data)
    if body is not None:
        request["body"] = body
    with _client(url, token, app_id) as client:
        envelope = client.invoke(name, **request)
    if as_json:
        _print_json(envelope)
        return
    colour = "green" if envelope["status_code"] < 400 else "red"
    click.secho(f"{envelope['status_code']}  {envelope['duration_ms']:.1f} ms  {envelope['memory_mb']:g} MB",
                fg=colour)
    for entry in envelope["consoleLogs"]:
        click.echo(f"  [{entry['level']}] {entry['message']}")
    if envelope["body"]:
        click.echo(envelope["body"])
    if envelope["error"]:
        click.secho(envelope["error"], fg="red", err=True)


def _show_entry(entry: dict[str, Any]) -> None:
    colour = "green" if entry["status_code"] < 400 else ("yellow" if entry["status_code"] < 500 else "red")
    click.secho(f"{entry['timestamp']}  {entry['trigger']:<9} {entry['method']} {entry['path']}  "
                f"{entry['status_code']}  {entry['duration_ms']:.1f} ms  {entry['memory_mb']:g} MB", fg=colour)
    for line in entry["consoleLogs"]:
        click.echo(f"    [{line['level']}] {line['message']}")
    if entry["error"]:
        click.echo("    ! " + entry["error"].splitlines()[0])


@cli.command("logs")
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new entries as they happen.")
@click.option("--level", type=click.Choice(["all", "error"]), default="all", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@_client_options
@_json_option
def logs_command(name: str, follow: bool, level: str, limit: int, url: str, token: str, app_id: str,
                 as_json: bool) -> None:
    """Show NAME's invocations, oldest first (--follow streams new ones).

    \b
    Example:
      fnemu logs hello --level error --follow
    """
    with _client(url, token, app_id) as client:
        if follow:
            for entry in client.follow_logs(name, level=level, limit=limit):
                if as_json:
                    click.echo(orjson.dumps(entry).decode())
                else:
                    _show_entry(entry)
            return
        entries = client.logs(name, level=level, limit=limit)
    if as_json:
        _print_json(entries)
        return
    for entry in reversed(entries):
        _show_entry(entry)


def main() -> None:
    cli(prog_name="fnemu")
