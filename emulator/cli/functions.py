"""Client commands for functions: list, deploy, invoke, logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from ..folder.files import FOLDER_ENTRIES
from ..folder.scan import FolderError, find, read_body, read_function
from .group import app_option, cli, client_options, connect, json_option, print_json

__all__ = ["deploy_command", "invoke_command", "list_command", "logs_command", "parse_data", "show_envelope"]


@cli.command("list")
@client_options
@app_option
@json_option
def list_command(url: str, token: str, app_id: str, as_json: bool) -> None:
    """List the deployed functions.

    \b
    Example:
      fnemu list --json
    """
    with connect(url, token, app_id) as client:
        functions = client.list()
    if as_json:
        print_json(functions)
        return
    if not functions:
        click.echo(f"no functions in app {app_id}")
        return
    click.echo(f"{'name':<24} {'lang':<7} {'runtime':<7} {'ver':>4}  {'source':<7} triggers")
    for fn in functions:
        triggers = ", ".join(t["type"] for t in fn["triggers"]) or "-"
        click.echo(f"{fn['name']:<24} {fn['language']:<7} {fn['runtime']:<7} {fn['version']:>4}  "
                   f"{fn['source']:<7} {triggers}")
        for t in fn["triggers"]:
            if "url" in t:
                secret = f"  secret {t['secret']}" if "secret" in t else ""
                click.echo(f"{'':<24} {t['type']} {t['url']}{secret}")
        problem = fn.get("loadError")
        if problem is not None:
            click.secho(f"{'':<24} BROKEN {_describe_load_error(problem)}", fg="red")


def _describe_load_error(problem: dict[str, Any]) -> str:
    where = problem["file"] if problem["line"] is None else f"{problem['file']}, line {problem['line']}"
    serving = (f"v{problem['servingVersion']} (the last good one) still serves" if problem["servingVersion"]
               else "no version loaded: calls answer 500 load_failed")
    return f"{where}: {problem['message'].splitlines()[0]}; {serving}"


@cli.command("deploy")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@client_options
@app_option
@json_option
def deploy_command(path: Path, url: str, token: str, app_id: str, as_json: bool) -> None:
    """Deploy the function at PATH (NAME.py, NAME.js, NAME.mjs with NAME.json beside it, or a
    NAME/ folder with function.json and .env): its entry file's code and its config. A name the
    server's functions folder defines is refused: that folder deploys it on every save.

    \b
    Example:
      fnemu deploy drafts/hello.py
    """
    path = path.resolve()
    name = path.name if path.is_dir() else path.stem
    try:
        found = find(path.parent, name)
        if found is None:
            raise click.ClickException(f"{path}: no function here (a .py/.js/.mjs file, or a folder with "
                                       f"{', '.join(FOLDER_ENTRIES)})")
        _, files = read_function(found)
        body = read_body(found, files)
    except FolderError as exc:
        raise click.ClickException(str(exc)) from None
    with connect(url, token, app_id) as client:
        fn = client.api("POST", client.functions_path(), json=body)
    if as_json:
        print_json(fn)
    else:
        click.echo(f"deployed {fn['name']} v{fn['version']}: {fn['url']}")


def parse_data(data: str | None, hint: str = "--data") -> Any:
    """JSON text, or @FILE holding JSON; a mistake is a usage error naming the option."""
    if data is None:
        return None
    text = data
    if data.startswith("@"):
        try:
            text = Path(data[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {data[1:]}: {exc.strerror}", param_hint=hint) from None
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not valid JSON ({exc})", param_hint=hint) from None


EVENT_TRIGGERS = ("cron", "s3_upload")
"""The triggers whose own event `invoke` can send instead of an HTTP request."""
_REQUEST_OPTIONS = {"data": "--data", "method": "--method", "req_path": "--path"}


@cli.command("invoke")
@click.argument("name")
@click.option("--trigger", type=click.Choice(["http", *EVENT_TRIGGERS]),
              help="Whose event to send [default: the function's own trigger; http when it has one].")
@click.option("--data", help="Request body (http): JSON text, or @FILE with JSON.")
@click.option("--method", default="POST", show_default=True, help="HTTP method the function sees (http).")
@click.option("--path", "req_path", default="/", show_default=True, help="Path below the function's URL (http).")
@click.option("--event", "event_file", type=click.Path(dir_okay=False),
              help="Send this event (a JSON file, e.g. from `fnemu event`) as its trigger would.")
@client_options
@app_option
@json_option
@click.pass_context
def invoke_command(ctx: click.Context, name: str, trigger: str | None, data: str | None, method: str,
                   req_path: str, event_file: str | None, url: str, token: str, app_id: str, as_json: bool) -> None:
    """Test-invoke NAME with its trigger's event (an HTTP request, the cron schedule's event, an S3
    put of a sample key in its bucket), or with an event file, and show its response, console
    output and error. Exits 4 when the function answered 4xx, 5 for 5xx.

    \b
    Examples:
      fnemu invoke hello --data '{"name": "Ada"}'
      fnemu invoke nightly-report            # a cron function gets the scheduled event
      fnemu event s3 --key photos/cat.png > s3.json && fnemu invoke thumbnails --event s3.json
    """
    if event_file is not None:
        if data is not None or trigger is not None:
            raise click.BadParameter("an event is sent as it is: leave --data and --trigger out",
                                     param_hint="--event")
        with connect(url, token, app_id) as client:
            show_envelope(client.invoke(name, event=parse_data("@" + event_file, "--event")), as_json)
        return
    with connect(url, token, app_id) as client:
        trigger = trigger or own_trigger(client.get(name))
        if trigger != "http":
            for param, option in _REQUEST_OPTIONS.items():
                if ctx.get_parameter_source(param) is not click.core.ParameterSource.DEFAULT:
                    raise click.BadParameter(f"describes an HTTP request; a {trigger} event is built from "
                                             f"the function's trigger (--trigger http to send a request)",
                                             param_hint=option)
            envelope = client.invoke(name, trigger=trigger)
        else:
            request: dict[str, Any] = {"method": method.upper(), "path": req_path}
            body = parse_data(data)
            if body is not None:
                request["body"] = body
            envelope = client.invoke(name, **request)
    show_envelope(envelope, as_json)


def own_trigger(fn: dict[str, Any]) -> str:
    """The trigger whose event a function is invoked with by default: http when it has one (or
    only request triggers), else its first event trigger (cron, s3_upload)."""
    types = [t["type"] for t in fn["triggers"]]
    return "http" if "http" in types else next((t for t in types if t in EVENT_TRIGGERS), "http")


def show_envelope(envelope: dict[str, Any], as_json: bool) -> None:
    """An invocation envelope: status line, console output, body, error; then the exit code of
    the function's status (0 below 400, 4 for 4xx, 5 for 5xx), for every command that runs one."""
    status = envelope["status_code"]
    if as_json:
        print_json(envelope)
    else:
        colour = "green" if status < 400 else "red"
        click.secho(f"{status}  {envelope['duration_ms']:.1f} ms  {envelope['memory_mb']:g} MB", fg=colour)
        for entry in envelope["consoleLogs"]:
            click.echo(f"  [{entry['level']}] {entry['message']}")
        if envelope["body"]:
            click.echo(envelope["body"])
        if envelope["error"]:
            click.secho(envelope["error"], fg="red", err=True)
    if status >= 400:
        click.get_current_context().exit(5 if status >= 500 else 4)


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
@client_options
@app_option
@json_option
def logs_command(name: str, follow: bool, level: str, limit: int, url: str, token: str, app_id: str,
                 as_json: bool) -> None:
    """Show NAME's invocations, oldest first (--follow streams new ones).

    \b
    Example:
      fnemu logs hello --level error --follow
    """
    with connect(url, token, app_id) as client:
        if follow:  # ends only when the server stops: an error saying so
            for entry in client.follow_logs(name, level=level, limit=limit):
                if as_json:
                    click.echo(orjson.dumps(entry).decode())
                else:
                    _show_entry(entry)
            return
        entries = client.logs(name, level=level, limit=limit)
    if as_json:
        print_json(entries)
        return
    for entry in reversed(entries):
        _show_entry(entry)
