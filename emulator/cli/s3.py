"""Client commands for the fake S3: `s3 put` (fires s3_upload triggers like any client) and `s3 ls`."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .group import cli, client_options, connect, json_option, print_json

__all__ = ["s3_ls_command", "s3_put_command"]


@contextmanager
def _s3(url: str, token: str) -> Iterator[Any]:
    """A boto3 client on the running fnemu's S3; S3's errors become one `Error:` line."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    with connect(url, token) as client:
        s3 = client.s3_client()
    try:
        yield s3
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise click.ClickException(f"S3: {error.get('Code')}: {error.get('Message')}") from None
    except (Boto3Error, BotoCoreError) as exc:
        raise click.ClickException(f"S3: {exc}") from None


@cli.group("s3")
def s3_group() -> None:
    """The fake S3 that s3_upload triggers watch."""


@s3_group.command("put")
@click.argument("bucket")
@click.argument("key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--content-type", help="The object's Content-Type [default: guessed from FILE's name].")
@client_options
def s3_put_command(bucket: str, key: str, file: Path, content_type: str | None, url: str, token: str) -> None:
    """Upload FILE to BUCKET as KEY (multipart when large), as any S3 client would.

    \b
    Example:
      fnemu s3 put uploads photos/cat.png cat.png
    """
    content_type = content_type or mimetypes.guess_type(file.name)[0] or "binary/octet-stream"
    with _s3(url, token) as s3:
        s3.upload_file(str(file), bucket, key, ExtraArgs={"ContentType": content_type})
    click.echo(f"uploaded s3://{bucket}/{key} ({file.stat().st_size} bytes, {content_type})")


@s3_group.command("ls")
@click.argument("bucket", required=False)
@click.option("--prefix", default="", help="Only keys that start with this.")
@client_options
@json_option
def s3_ls_command(bucket: str | None, prefix: str, url: str, token: str, as_json: bool) -> None:
    """List the buckets, or the objects in BUCKET.

    \b
    Example:
      fnemu s3 ls uploads --prefix photos/
    """
    with _s3(url, token) as s3:
        if bucket is None:
            rows = [{"name": b["Name"], "created": b["CreationDate"].isoformat()}
                    for b in s3.list_buckets()["Buckets"]]
        else:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            rows = [{"key": o["Key"], "size": o["Size"], "lastModified": o["LastModified"].isoformat()}
                    for page in pages for o in page.get("Contents", [])]
    if as_json:
        print_json(rows)
    elif not rows:
        click.echo("no buckets" if bucket is None else f"no objects in {bucket}")
    elif bucket is None:
        for row in rows:
            click.echo(f"{row['created'][:19]}  {row['name']}")
    else:
        for row in rows:
            click.echo(f"{row['lastModified'][:19]}  {row['size']:>12}  {row['key']}")
