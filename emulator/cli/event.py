"""`fnemu event KIND`: print a ready event, for tests that call a handler directly."""

from __future__ import annotations

from pathlib import Path

import click

from ..clock import parse_iso
from ..config import DEFAULT_APP_ID
from ..events.kinds import KINDS, EventFields, generate
from ..triggers.signatures import SOURCES
from .group import cli, print_json

__all__ = ["event_command"]


def _pairs(values: tuple[str, ...], sep: str, option: str) -> tuple[tuple[str, str], ...]:
    """`k=v` / `k:v` options as pairs; a value without the separator is a usage error naming the option."""
    out = []
    for value in values:
        key, found, rest = value.partition(sep)
        if not found or not key.strip():
            raise click.BadParameter(f"{value!r}: must be NAME{sep}VALUE", param_hint=option)
        out.append((key.strip(), rest.strip() if sep == ":" else rest))
    return tuple(out)


def _body(body: str | None) -> bytes | None:
    if body is None or not body.startswith("@"):
        return None if body is None else body.encode()
    try:
        return Path(body[1:]).read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {body[1:]}: {exc.strerror}", param_hint="--body") from None


def _time(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise click.BadParameter("must be an ISO 8601 date-time, e.g. 2026-01-01T09:00:00Z",
                                 param_hint="--time") from None


@cli.command("event")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.option("--method", help="HTTP method [default: GET; POST for webhook].")
@click.option("--path", "req_path", default="/", show_default=True, help="Path below the function's URL.")
@click.option("--query", multiple=True, metavar="K=V", help="A query parameter (repeatable).")
@click.option("--header", multiple=True, metavar="K:V", help="A header (repeatable).")
@click.option("--body", help="The body: text, or @FILE [webhook default: the source's sample delivery].")
@click.option("--bucket", default="my-bucket", show_default=True, help="s3: the bucket.")
@click.option("--key", default="uploads/hello.txt", show_default=True, help="s3: the object's key.")
@click.option("--size", type=click.IntRange(0), default=0, show_default=True, help="s3: the object's size.")
@click.option("--content-type", default="text/plain", show_default=True, help="s3: the object's type.")
@click.option("--time", "at", metavar="ISO", help="cron: the scheduled time [default: now].")
@click.option("--source", type=click.Choice(SOURCES), help="webhook: the provider [default: generic].")
@click.option("--secret", help="webhook: sign the delivery with this secret, as the source does.")
@click.option("--function", "function", default="hello", show_default=True, help="The function's name.")
@click.option("--app-id", default=DEFAULT_APP_ID, show_default=True, help="The function's app.")
def event_command(kind: str, method: str | None, req_path: str, query: tuple[str, ...], header: tuple[str, ...],
                  body: str | None, bucket: str, key: str, size: int, content_type: str, at: str | None,
                  source: str | None, secret: str | None, function: str, app_id: str) -> None:
    """Print (JSON) a KIND event of exactly the shape fnemu hands a `lambda` handler; no server
    needed. `fnemu invoke NAME --event FILE` sends one.

    \b
    Examples:
      fnemu event apigw --method POST --path /orders --header content-type:application/json --body '{"id": 1}'
      fnemu event s3 --bucket uploads --key photos/cat.png --size 1024 > s3.json
    """
    if not req_path.startswith("/"):
        raise click.BadParameter('must start with "/"', param_hint="--path")
    fields = EventFields(method=method, path=req_path, query=_pairs(query, "=", "--query"),
                         headers=_pairs(header, ":", "--header"), body=_body(body), bucket=bucket, key=key,
                         size=size, content_type=content_type, time=_time(at), source=source, secret=secret,
                         app_id=app_id, function=function)
    print_json(generate(kind, fields))
