"""The `fnemu` click group, and what the commands that talk to a running fnemu share."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
import orjson

from .. import __version__
from ..config import DEFAULT_APP_ID, DEFAULT_TOKEN, DEFAULT_URL

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["app_option", "cli", "client_options", "connect", "json_option", "print_json"]


class UsageMistake(click.ClickException):
    """A usage error shown as one `Error:` line that says where help is (click's own shows the
    usage and a hint line above it)."""

    exit_code = 2


@contextmanager
def _one_line_usage() -> Iterator[None]:
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise
    except click.UsageError as exc:
        where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        raise UsageMistake(f"{exc.format_message()}{where}") from None


_COMMAND_MODULES = ("start", "agents", "cron", "demo", "event", "functions", "init", "replay", "s3", "webhook")
"""The modules whose commands register themselves on `cli` as they are imported. They are imported
when a command is looked up, `start` first: `fnemu start` imports no other command's module."""


class FnemuGroup(click.Group):
    """The root group: every usage mistake below it, in parsing or in a command, is one line."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module in _COMMAND_MODULES:
            command = super().get_command(ctx, cmd_name)
            if command is not None:
                return command
            importlib.import_module(f"{__package__}.{module}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in _COMMAND_MODULES:
            importlib.import_module(f"{__package__}.{module}")
        return super().list_commands(ctx)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        with _one_line_usage():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line_usage():
            return super().invoke(ctx)


@click.group(cls=FnemuGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fnemu")
def cli() -> None:
    """fnemu: the Functions platform on your laptop, offline.

    \b
    Example:
      fnemu start --port 8787
    """


def app_option(func: Callable[..., None]) -> Callable[..., None]:
    """--app-id, for the commands that name a function (or list an app's)."""
    return click.option("--app-id", default=DEFAULT_APP_ID, show_default=True, help="App of the function.")(func)


def client_options(func: Callable[..., None]) -> Callable[..., None]:
    """--url and --token for the commands that talk to a running fnemu."""
    func = click.option("--token", envvar="FNEMU_TOKEN", default=DEFAULT_TOKEN, show_default=True,
                        help="Developer token [env FNEMU_TOKEN].")(func)
    func = click.option("--url", envvar="FNEMU_URL", default=DEFAULT_URL, show_default=True,
                        help="The running fnemu [env FNEMU_URL].")(func)
    return func


def json_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


@contextmanager
def connect(url: str, token: str, app_id: str = DEFAULT_APP_ID) -> Iterator[Client]:
    """A client whose errors become one `Error:` line and a non-zero exit."""
    from ..client import Client, ClientError  # here: `fnemu start` does not need an HTTP client

    client = Client(url, token, app_id)
    try:
        yield client
    except ClientError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        client.close()


def print_json(data: Any) -> None:
    click.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
