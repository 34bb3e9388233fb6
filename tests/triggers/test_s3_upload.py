"""§6 s3_upload, §7 GET /_emu/s3: real moto, real boto3 and httpx clients, real workers."""

from __future__ import annotations

import io
import json
import re
import statistics
import threading
import time
from typing import Any
from urllib.parse import unquote_plus

import boto3
import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config as BotoConfig

from emulator.keys import TRIGGERS
from emulator.triggers.s3_upload import S3_UPLOAD
from tests.helpers import wait_until

RECORDER = "import json\ndef handler(event, context):\n    print(json.dumps(event))\n    return {'ok': True}\n"
MB = 1024 * 1024


def watch(fnemu: Any, name: str = "rec", code: str = RECORDER, **config: Any) -> dict[str, Any]:
    return fnemu.deploy(name, code, triggers=[{"type": "s3_upload", "config": {"bucket": "uploads", **config}}])


def settled(fnemu: Any, name: str, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
    """The function's log once `count` entries are in and no S3 invocation is still going: every
    event of one upload is dispatched together, so a duplicate would be counted here."""
    service = fnemu.server.app[TRIGGERS][S3_UPLOAD]
    wait_until(lambda: len(fnemu.logs(name)) >= count and service.idle, timeout=timeout,
               message=f"{count} s3_upload invocation(s) of {name}")
    entries: list[dict[str, Any]] = fnemu.logs(name)
    return entries


def record(entry: dict[str, Any]) -> dict[str, Any]:
    """The one S3 record the recorder function printed."""
    assert entry["trigger"] == "s3_upload" and entry["status_code"] == 200, entry
    event = json.loads(entry["consoleLogs"][0]["message"])
    (rec,) = event["Records"]
    return rec  # type: ignore[no-any-return]


def _put(s3: Any) -> tuple[str, bytes]:
    s3.put_object(Bucket="uploads", Key="put.txt", Body=b"plain put", ContentType="text/plain")
    return "put.txt", b"plain put"


def _presigned_put(s3: Any) -> tuple[str, bytes]:
    url = s3.generate_presigned_url("put_object", Params={"Bucket": "uploads", "Key": "presigned.json"},
                                    ExpiresIn=60)
    assert httpx.put(url, content=b'{"a": 1}').status_code == 200
    return "presigned.json", b'{"a": 1}'


def _post_policy(s3: Any) -> tuple[str, bytes]:
    post = s3.generate_presigned_post("uploads", "form/${filename}", Fields={"Content-Type": "image/png"},
                                      Conditions=[{"Content-Type": "image/png"}])
    r = httpx.post(post["url"], data=post["fields"], files={"file": ("pic.png", b"PNG bytes", "image/png")})
    assert r.status_code == 204, r.text
    return "form/pic.png", b"PNG bytes"


def _multipart(s3: Any) -> tuple[str, bytes]:
    parts = [b"a" * (5 * MB), b"b" * 1024]
    upload = s3.create_multipart_upload(Bucket="uploads", Key="multi.bin")
    done = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="uploads", Key="multi.bin", PartNumber=n,
                                                     UploadId=upload["UploadId"], Body=body)["ETag"]}
            for n, body in enumerate(parts, 1)]
    s3.complete_multipart_upload(Bucket="uploads", Key="multi.bin", UploadId=upload["UploadId"],
                                 MultipartUpload={"Parts": done})
    return "multi.bin", b"".join(parts)


def _copy(s3: Any) -> tuple[str, bytes]:
    s3.create_bucket(Bucket="elsewhere")
    s3.put_object(Bucket="elsewhere", Key="original.txt", Body=b"copied")
    s3.copy_object(Bucket="uploads", Key="copy.txt", CopySource={"Bucket": "elsewhere", "Key": "original.txt"})
    return "copy.txt", b"copied"


@pytest.mark.parametrize(("upload", "event_name"), [
    (_put, "ObjectCreated:Put"),
    (_presigned_put, "ObjectCreated:Put"),
    (_post_policy, "ObjectCreated:Post"),
    (_multipart, "ObjectCreated:CompleteMultipartUpload"),
    (_copy, "ObjectCreated:Copy"),
])
def test_each_upload_kind_invokes_once_with_the_aws_event(fnemu: Any, upload: Any, event_name: str) -> None:
    watch(fnemu)
    s3 = fnemu.s3_client()
    key, body = upload(s3)
    (entry,) = settled(fnemu, "rec", 1)
    rec = record(entry)
    head = s3.head_object(Bucket="uploads", Key=key)
    assert rec["eventName"] == event_name
    assert (rec["eventVersion"], rec["eventSource"], rec["awsRegion"]) == ("2.1", "aws:s3", "us-east-1")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec["eventTime"])
    assert rec["s3"]["bucket"] == {"name": "uploads", "arn": "arn:aws:s3:::uploads",
                                   "ownerIdentity": rec["s3"]["bucket"]["ownerIdentity"]}
    obj = rec["s3"]["object"]
    assert (obj["key"], obj["size"]) == (key, len(body))
    assert obj["eTag"] == head["ETag"].strip('"')
    assert re.fullmatch(r"[0-9A-F]{16,}", obj["sequencer"])
    assert entry["method"] == "POST" and entry["error"] is None


def test_sequencers_grow_with_each_upload_of_a_key(fnemu: Any) -> None:
    watch(fnemu)
    s3 = fnemu.s3_client()
    for n in range(3):
        s3.put_object(Bucket="uploads", Key="same.txt", Body=str(n).encode())
    entries = settled(fnemu, "rec", 3)
    sequencers = sorted(record(e)["s3"]["object"]["sequencer"] for e in entries)
    assert len(set(sequencers)) == 3


def test_prefix_and_content_type_filter_what_invokes(fnemu: Any) -> None:
    watch(fnemu, prefix="in/", contentTypes=["image/*", "text/plain"])
    s3 = fnemu.s3_client()
    s3.put_object(Bucket="uploads", Key="out/a.png", Body=b"x", ContentType="image/png")  # prefix
    s3.put_object(Bucket="uploads", Key="in/a.json", Body=b"{}", ContentType="application/json")  # type
    s3.put_object(Bucket="uploads", Key="in/no-type", Body=b"x")  # binary/octet-stream
    s3.create_bucket(Bucket="other")
    s3.put_object(Bucket="other", Key="in/a.png", Body=b"x", ContentType="image/png")  # bucket
    s3.put_object(Bucket="uploads", Key="in/b.png", Body=b"x", ContentType="IMAGE/PNG")
    s3.put_object(Bucket="uploads", Key="in/c.txt", Body=b"x", ContentType="text/plain; charset=utf-8")
    entries = settled(fnemu, "rec", 2)
    assert sorted(record(e)["s3"]["object"]["key"] for e in entries) == ["in/b.png", "in/c.txt"]


def test_keys_arrive_encoded_as_aws_encodes_them(fnemu: Any) -> None:
    watch(fnemu)
    key = "in/my photo+1 ü.txt"
    fnemu.s3_client().put_object(Bucket="uploads", Key=key, Body=b"x")
    (entry,) = settled(fnemu, "rec", 1)
    encoded = record(entry)["s3"]["object"]["key"]
    assert encoded == "in/my+photo%2B1+%C3%BC.txt"
    assert unquote_plus(encoded) == key


READER = """\
import os
from urllib.parse import unquote_plus

import boto3


def handler(event, context):
    s3 = boto3.client("s3")  # AWS_ENDPOINT_URL and the keys come from the environment
    rec = event["Records"][0]["s3"]
    key = unquote_plus(rec["object"]["key"])
    body = s3.get_object(Bucket=rec["bucket"]["name"], Key=key)["Body"].read().decode()
    s3.put_object(Bucket=rec["bucket"]["name"], Key="out/" + key, Body=body.upper())
    return {"read": body, "endpoint": os.environ["AWS_ENDPOINT_URL"]}
"""


def test_a_function_reads_the_uploaded_object_back_with_boto3(fnemu: Any) -> None:
    watch(fnemu, name="reader", code=READER, prefix="in/")
    s3 = fnemu.s3_client()
    s3.put_object(Bucket="uploads", Key="in/hello world.txt", Body=b"hello from s3")
    (entry,) = settled(fnemu, "reader", 1)
    assert entry["status_code"] == 200 and entry["error"] is None, entry
    assert entry["consoleLogs"] == [], "the AWS SDK's INFO lines are not the function's output"
    written = s3.get_object(Bucket="uploads", Key="out/in/hello world.txt")["Body"].read()
    assert written == b"HELLO FROM S3"


def test_a_function_that_asks_for_the_sdk_s_info_lines_gets_them(fnemu: Any) -> None:
    code = "import logging\nlogging.getLogger('botocore').setLevel(logging.INFO)\n" + READER
    watch(fnemu, name="chatty", code=code, prefix="in/")
    fnemu.s3_client().put_object(Bucket="uploads", Key="in/a.txt", Body=b"a")
    (entry,) = settled(fnemu, "chatty", 1)
    assert entry["status_code"] == 200, entry
    assert "Found credentials in environment variables." in [line["message"] for line in entry["consoleLogs"]]


def test_a_failing_function_never_fails_the_upload(fnemu: Any) -> None:
    watch(fnemu, name="boom", code="def handler(event, context):\n    raise RuntimeError('no thanks')\n")
    s3 = fnemu.s3_client()
    response = s3.put_object(Bucket="uploads", Key="k.txt", Body=b"kept")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    (entry,) = settled(fnemu, "boom", 1)
    assert entry["trigger"] == "s3_upload" and entry["status_code"] == 500
    assert "RuntimeError: no thanks" in entry["error"]
    assert s3.get_object(Bucket="uploads", Key="k.txt")["Body"].read() == b"kept"


WEB = """\
export default async function handler(req) {
  const event = await req.json();
  console.log(JSON.stringify({method: req.method, trigger: req.headers.get('x-fnemu-trigger'),
                              key: event.Records[0].s3.object.key}));
  return new Response('ok');
}
"""


def test_a_web_function_gets_a_post_of_the_event(fnemu: Any) -> None:
    watch(fnemu, name="web", code=WEB)
    fnemu.s3_client().put_object(Bucket="uploads", Key="a b.txt", Body=b"x")
    (entry,) = settled(fnemu, "web", 1)
    assert entry["status_code"] == 200, entry
    seen = json.loads(entry["consoleLogs"][0]["message"])
    assert seen == {"method": "POST", "trigger": "s3_upload", "key": "a+b.txt"}


def test_virtual_host_style_requests_work(fnemu: Any) -> None:
    """`BUCKET.localhost` does not resolve here, so the client sends its virtual-host requests
    (Host: uploads.localhost:PORT) through the fake S3's own address as an HTTP proxy."""
    watch(fnemu)
    info = fnemu.client.s3_info()
    port = info["endpoint_url"].rsplit(":", 1)[1]
    s3 = boto3.client("s3", endpoint_url=f"http://localhost:{port}", region_name=info["region"],
                      aws_access_key_id=info["access_key_id"], aws_secret_access_key=info["secret_access_key"],
                      config=BotoConfig(s3={"addressing_style": "virtual"},
                                        proxies={"http": info["endpoint_url"]}))
    s3.put_object(Bucket="uploads", Key="virtual.txt", Body=b"v")
    assert s3.get_object(Bucket="uploads", Key="virtual.txt")["Body"].read() == b"v"
    (entry,) = settled(fnemu, "rec", 1)
    assert record(entry)["s3"]["object"]["key"] == "virtual.txt"


def test_trigger_buckets_exist_at_deploy_and_reset_empties_s3(fnemu: Any) -> None:
    watch(fnemu)
    s3 = fnemu.s3_client()
    s3.head_bucket(Bucket="uploads")
    s3.create_bucket(Bucket="scratch")
    fnemu.reset()
    assert s3.list_buckets()["Buckets"] == []


def test_reset_recreates_the_buckets_of_folder_functions_empty(make_emulator: Any, tmp_path: Any) -> None:
    (tmp_path / "rec.py").write_text(RECORDER)
    (tmp_path / "rec.json").write_text(json.dumps(
        {"triggers": [{"type": "s3_upload", "config": {"bucket": "folder-bucket"}}]}))
    emu = make_emulator(functions_dir=tmp_path, watch=False)
    s3 = emu.s3_client()
    s3.put_object(Bucket="folder-bucket", Key="k", Body=b"x")
    emu.reset()
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["folder-bucket"]
    assert s3.list_objects_v2(Bucket="folder-bucket")["KeyCount"] == 0


@pytest.mark.parametrize(("config", "field"), [
    ({}, "triggers[0].config.bucket"),
    ({"bucket": "Up"}, "triggers[0].config.bucket"),
    ({"bucket": "ab"}, "triggers[0].config.bucket"),
    ({"bucket": "my..bucket"}, "triggers[0].config.bucket"),
    ({"bucket": "192.168.1.1"}, "triggers[0].config.bucket"),
    ({"bucket": "xn--bucket"}, "triggers[0].config.bucket"),
    ({"bucket": "bucket-s3alias"}, "triggers[0].config.bucket"),
    ({"bucket": "-bucket"}, "triggers[0].config.bucket"),
    ({"bucket": "ok-bucket", "prefix": 3}, "triggers[0].config.prefix"),
    ({"bucket": "ok-bucket", "contentTypes": "image/png"}, "triggers[0].config.contentTypes"),
    ({"bucket": "ok-bucket", "contentTypes": ["png"]}, "triggers[0].config.contentTypes"),
    ({"bucket": "ok-bucket", "suffix": ".png"}, "triggers[0].config.suffix"),
])
def test_bad_config_is_400_naming_the_field(fnemu: Any, config: dict[str, Any], field: str) -> None:
    r = fnemu.http.post("/v1/local/functions", headers={"Authorization": f"Bearer {fnemu.token}"},
                        json={"name": "bad", "code": RECORDER, "triggers": [{"type": "s3_upload", "config": config}]})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field


def test_config_is_echoed_with_defaults(fnemu: Any) -> None:
    fn = watch(fnemu, contentTypes=["Image/PNG"])
    assert fn["triggers"] == [{"type": "s3_upload", "config": {"bucket": "uploads", "prefix": "",
                                                               "contentTypes": ["image/png"]}}]


def test_s3_route_gives_endpoint_and_keys_to_the_developer_only(fnemu: Any) -> None:
    assert fnemu.http.get("/_emu/s3").status_code == 401
    info = fnemu.client.s3_info()
    assert info == {"endpoint_url": fnemu.server.config.s3_endpoint_url, "region": "us-east-1",
                    "access_key_id": info["access_key_id"], "secret_access_key": info["secret_access_key"]}
    assert info["endpoint_url"].startswith("http://127.0.0.1:")


def test_a_50_mb_multipart_upload_does_not_stall_other_requests(fnemu: Any) -> None:
    watch(fnemu, name="big", code="def handler(event, context):\n    return event['Records'][0]['s3']['object']\n")
    s3 = fnemu.s3_client()
    fnemu.client.health()
    done = threading.Event()
    gaps: list[float] = []

    def upload() -> None:
        try:
            s3.upload_fileobj(io.BytesIO(b"z" * (50 * MB)), "uploads", "big.bin",
                              Config=TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB))
        finally:
            done.set()

    uploader = threading.Thread(target=upload)
    uploader.start()
    while not done.is_set():
        started = time.perf_counter()
        fnemu.client.health()
        gaps.append((time.perf_counter() - started) * 1000)
    uploader.join()
    (entry,) = settled(fnemu, "big", 1)
    assert entry["status_code"] == 200
    worst = max(gaps)
    print(f"\n50 MB multipart upload: {len(gaps)} health calls meanwhile, p50 "
          f"{statistics.median(gaps):.1f} ms, worst {worst:.1f} ms")
    assert worst < 1500, f"a health call waited {worst:.0f} ms behind the upload"
