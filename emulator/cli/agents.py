"""Client commands for end users and agents: `token create`, `tools list|call`, `approvals`,
`action run`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson

from .functions import parse_data, show_envelope
from .group import app_option, cli, client_options, connect, json_option, print_json

__all__ = ["action_run_command", "approvals_command", "token_create_command", "tools_call_command",
           "tools_list_command"]

_SUFFIX_LANGUAGES = {".py": "python", ".js": "node", ".mjs": "node", ".cjs": "node"}


def _claim(text: str) -> tuple[str, Any]:
    """`k=v`: the value as JSON when it parses (`n=3`, `admin=true`, `tags=["a"]`), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise click.BadParameter(f"{text!r} is not KEY=VALUE", param_hint="--claim")
    try:
        return key, orjson.loads(value)
    except orjson.JSONDecodeError:
        return key, value


@cli.group("token")
def token_group() -> None:
    """End-user tokens (JWTs) that pass http triggers with auth required."""


@token_group.command("create")
@click.argument("sub")
@click.option("--claim", "claims", multiple=True, metavar="KEY=VALUE",
              help="A claim at the token's top level; VALUE is JSON when it parses, else a string. Repeatable.")
@click.option("--ttl", type=click.IntRange(1, 31_536_000), default=None, help="Seconds it is valid [default 3600].")
@client_options
def token_create_command(sub: str, claims: tuple[str, ...], ttl: int | None, url: str, token: str) -> None:
    """Print an end-user token for SUB (the user's id).

    \b
    Example:
      T=$(fnemu token create alice --claim role=admin --ttl 600)
      curl -H "Authorization: Bearer $T" http://127.0.0.1:8787/v1/local/fn/hello
    """
    parsed = dict(_claim(c) for c in claims)
    with connect(url, token) as client:
        click.echo(client.create_token(sub, parsed, ttl))


@cli.group("tools")
def tools_group() -> None:
    """Agent tools: functions deployed with agent_tool true. --token may be an end-user token."""


@tools_group.command("list")
@client_options
@app_option
@json_option
def tools_list_command(url: str, token: str, app_id: str, as_json: bool) -> None:
    """List the agent tools the token may call.

    \b
    Example:
      fnemu tools list --token "$(fnemu token create alice)"
    """
    with connect(url, token, app_id) as client:
        tools = client.tools()
    if as_json:
        print_json(tools)
        return
    if not tools:
        click.echo(f"no agent tools in app {app_id} for this token")
    for tool in tools:
        click.echo(f"{tool['name']:<24} {tool['mode']:<10} {tool['exposed_to']:<15} {tool['description']}")


@tools_group.command("call")
@click.argument("name")
@click.option("--input", "input_", default="{}", show_default=True, help="The tool's input: a JSON object, or @FILE.")
@client_options
@app_option
@json_option
def tools_call_command(name: str, input_: str, url: str, token: str, app_id: str, as_json: bool) -> None:
    """Call the agent tool NAME; a read_write tool waits for approval.

    \b
    Example:
      fnemu tools call lookup_account --input '{"email": "ada@example.com"}'
    """
    value = parse_data(input_, "--input")
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--input")
    with connect(url, token, app_id) as client:
        result = client.call_tool(name, value)
    if "approval_id" in result:
        if as_json:
            print_json(result)
        else:
            click.echo(f"waiting for approval: {result['approval_id']} "
                       f"(fnemu approvals approve {result['approval_id']})")
        return
    show_envelope(result, as_json)


@cli.group("approvals", invoke_without_command=True)
@client_options
@json_option
@click.pass_context
def approvals_command(ctx: click.Context, url: str, token: str, as_json: bool) -> None:
    """List the read_write tool calls waiting for approval; approve or reject one.

    \b
    Example:
      fnemu approvals
      fnemu approvals approve apr_1f2e3d4c5b6a7988
    """
    if ctx.invoked_subcommand is not None:
        return
    with connect(url, token) as client:
        pending = client.approvals()
    if as_json:
        print_json(pending)
        return
    if not pending:
        click.echo("no calls waiting for approval")
    for held in pending:
        click.echo(f"{held['id']}  {held['createdAt']}  {held['app_id']}/{held['function']}  {held['caller']}"
                   f"{' ' + held['sub'] if held['sub'] else ''}  input {orjson.dumps(held['input']).decode()}")


def _decision_command(verb: str, approve: bool, summary: str) -> None:
    """`approvals approve ID` and `approvals reject ID`."""

    @approvals_command.command(verb, help=f"{summary}\n\n\b\nExample:\n  fnemu approvals {verb} apr_1f2e3d4c5b6a7988")
    @click.argument("approval_id", metavar="ID")
    @client_options
    @json_option
    def decide(approval_id: str, url: str, token: str, as_json: bool) -> None:
        with connect(url, token) as client:
            result = client.decide(approval_id, approve)
        if approve:
            show_envelope(result, as_json)
        elif as_json:
            print_json(result)
        else:
            click.echo(f"rejected {approval_id}: it will not run")


_decision_command("approve", True, "Approve the held call ID: it runs once, and its invocation is shown.")
_decision_command("reject", False, "Reject the held call ID: it never runs.")


@cli.group("action")
def action_group() -> None:
    """The platform's serverless-function action (seed 000)."""


@action_group.command("run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", type=click.Choice(["python", "node"]), default=None,
              help="The code's language [default: from FILE's suffix].")
@click.option("--context", "context", default=None, help="The context object: JSON, or @FILE.")
@click.option("--output", default="result", show_default=True, help="output_variable_name of the answer.")
@client_options
def action_run_command(file: Path, language: str | None, context: str | None, output: str, url: str,
                       token: str) -> None:
    """Run FILE (lambda_handler / exports.handler) through the action; print its answer.

    \b
    Example:
      fnemu action run sample_functions/agent_action.py --context '{"user": "ada"}'
    """
    language = language or _SUFFIX_LANGUAGES.get(file.suffix)
    if language is None:
        raise click.BadParameter(f"cannot tell the language of {file.name}; give python or node",
                                 param_hint="--language")
    body: dict[str, Any] = {"language": language, "serverless_code": file.read_text(encoding="utf-8"),
                            "output_variable_name": output}
    if context is not None:
        body["context"] = parse_data(context, "--context")
    with connect(url, token) as client:
        answer = client.action(body)
    print_json(answer)
    if answer["status"] >= 400 and "error" in answer["response"]:
        error = answer["response"]["error"]
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        raise click.ClickException(f"status {answer['status']}: {message.splitlines()[0] if message else ''}")
