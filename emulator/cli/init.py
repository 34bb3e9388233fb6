"""`fnemu init [DIR]`: a new functions folder, its test and a README snippet (CONTRACT §13)."""

from __future__ import annotations

from pathlib import Path

import click

from ..scaffold import TEMPLATES, ScaffoldError, init
from .group import cli

__all__ = ["init_command"]


@cli.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--template", type=click.Choice(list(TEMPLATES)), default="python-lambda", show_default=True,
              help="The function's language and handler style.")
def init_command(directory: Path, template: str) -> None:
    """Write a functions folder with one function, a pytest test that uses the fnemu plugin and a
    README snippet into DIRECTORY (default: here); existing files are never overwritten.

    \b
    Example:
      fnemu init my-app --template node-web && cd my-app && pytest
    """
    try:
        written = init(directory, template)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{directory}: {exc.strerror}") from None
    for path in written:
        click.echo(f"wrote {path}")
    where = "" if directory == Path(".") else f"cd {directory} && "
    click.echo(f"next: {where}fnemu start   (and pytest to run the tests)")
