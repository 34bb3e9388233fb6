"""The private parts of moto that triggers/fake_s3.py relies on. If a moto upgrade breaks one,
this fails before any user sees a missing or doubled invocation."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import moto
import pytest

from emulator.events.s3 import CreatedObject
from emulator.triggers.fake_s3 import FakeS3
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Seen:
    def __init__(self) -> None:
        self.objects: list[CreatedObject] = []
        self.threads: set[str] = set()

    def __call__(self, created: list[CreatedObject]) -> None:
        self.threads.add(threading.current_thread().name)
        self.objects.extend(created)


@pytest.fixture
def fake() -> Iterator[tuple[FakeS3, Seen, Any]]:
    port = free_port()
    seen = Seen()
    s3 = FakeS3(port, seen)
    s3.start()
    client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="k", aws_secret_access_key="s")
    s3.reset()
    s3.create_bucket("hook-bucket", "us-east-1")
    yield s3, seen, client
    s3.close()


def test_moto_is_pinned_to_the_version_the_hook_was_checked_against() -> None:
    pinned = re.search(r'"moto\[s3,server\]==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and pinned.group(1) == moto.__version__


def test_each_kind_of_creation_is_seen_once_complete_after_its_request(fake: Any) -> None:
    s3, seen, client = fake
    client.put_object(Bucket="hook-bucket", Key="put.txt", Body=b"abc", ContentType="text/plain")
    url = client.generate_presigned_url("put_object", Params={"Bucket": "hook-bucket", "Key": "pre.bin"})
    assert httpx.put(url, content=b"12345").status_code == 200
    post = client.generate_presigned_post("hook-bucket", "form.png", Fields={"Content-Type": "image/png"},
                                          Conditions=[{"Content-Type": "image/png"}])
    assert httpx.post(post["url"], data=post["fields"], files={"file": ("f", b"png", "image/png")}).is_success
    upload = client.create_multipart_upload(Bucket="hook-bucket", Key="multi.bin", ContentType="video/mp4")
    part = client.upload_part(Bucket="hook-bucket", Key="multi.bin", PartNumber=1, UploadId=upload["UploadId"],
                              Body=b"m" * 10)
    client.complete_multipart_upload(Bucket="hook-bucket", Key="multi.bin", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    client.copy_object(Bucket="hook-bucket", Key="copy.txt", CopySource={"Bucket": "hook-bucket", "Key": "put.txt"})
    client.put_object_tagging(Bucket="hook-bucket", Key="put.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    client.delete_object(Bucket="hook-bucket", Key="pre.bin")
    wait_until(lambda: len(seen.objects) >= 5)
    assert [(o.event_name, o.key, o.size, o.content_type) for o in seen.objects] == [
        ("ObjectCreated:Put", "put.txt", 3, "text/plain"),
        ("ObjectCreated:Put", "pre.bin", 5, "binary/octet-stream"),
        ("ObjectCreated:Post", "form.png", 3, "image/png"),
        ("ObjectCreated:CompleteMultipartUpload", "multi.bin", 10, "video/mp4"),
        ("ObjectCreated:Copy", "copy.txt", 3, "text/plain"),
    ]
    assert seen.objects[0].etag == client.head_object(Bucket="hook-bucket", Key="put.txt")["ETag"].strip('"')
    assert seen.objects[3].etag.endswith("-1")
    assert "fnemu-s3" not in seen.threads and threading.current_thread().name not in seen.threads


def test_a_report_that_raises_never_fails_the_upload() -> None:
    def broken(created: list[CreatedObject]) -> None:
        raise RuntimeError("the hook broke")

    port = free_port()
    s3 = FakeS3(port, broken)
    s3.start()
    try:
        s3.create_bucket("broken-hook", "us-east-1")
        client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1",
                              aws_access_key_id="k", aws_secret_access_key="s")
        client.put_object(Bucket="broken-hook", Key="k", Body=b"still stored")
        assert client.get_object(Bucket="broken-hook", Key="k")["Body"].read() == b"still stored"
    finally:
        s3.close()


def test_the_port_is_refused_until_s3_starts() -> None:
    port = free_port()
    s3 = FakeS3(port, lambda created: None)
    try:
        with pytest.raises(httpx.ConnectError):
            httpx.get(s3.endpoint_url)
    finally:
        s3.close()


def test_a_port_another_server_listens_on_is_a_clear_error() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(OSError, match=f"the S3 port {port} is taken"):
            FakeS3(port, lambda created: None)


def test_an_emulator_without_s3_triggers_never_imports_moto() -> None:
    code = """
import asyncio, sys
from emulator.config import Config
from emulator.server import Server

async def main():
    server = Server(Config(port=0))
    await server.start()
    await server.stop()

asyncio.run(main())
print(sorted(m for m in sys.modules if m.split(".")[0] in ("moto", "boto3", "botocore")))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_an_s3_that_serves_after_the_last_one_closed_starts_empty_and_one_beside_it_shares() -> None:
    code = """
import socket, boto3
from emulator.triggers.fake_s3 import FakeS3

def started(bucket):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s3 = FakeS3(port, lambda created: None)
    s3.start()
    s3.create_bucket(bucket, "us-east-1")
    client = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="k", aws_secret_access_key="s")
    client.put_object(Bucket=bucket, Key="k", Body=b"x")
    return s3, client

def names(client):
    return sorted(b["Name"] for b in client.list_buckets()["Buckets"])

first, _ = started("left-behind")
first.close()
second, client = started("mine")
beside, other = started("beside")
print(names(client), names(other))
second.close(); beside.close()
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['beside', 'mine'] ['beside', 'mine']"
