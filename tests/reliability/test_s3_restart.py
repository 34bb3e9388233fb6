"""§5 the fake S3's server thread dying: served again on the same endpoint with its buckets and
objects, one line on stderr, and the next upload fires its trigger."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from emulator.keys import TRIGGERS
from emulator.triggers.s3_upload import S3_UPLOAD
from tests.helpers import wait_until

UPLOADED = ("def handler(event, context):\n"
            "    print(event['Records'][0]['s3']['object']['key'])\n"
            "    return {'statusCode': 200}\n")


def _shut_down(server: Any) -> None:
    server.shutdown()  # serve_forever returns: the thread ends as a stopped server's would


def _raise_in_its_loop(server: Any) -> None:
    def fail() -> None:
        raise RuntimeError("the server loop broke")

    server.service_actions = fail  # serve_forever calls it every turn: the thread ends with the exception


@pytest.mark.fault("the fake S3's server thread dying")
@pytest.mark.parametrize("kill", [_shut_down, _raise_in_its_loop], ids=["shut-down", "raised"])
def test_a_dead_s3_server_thread_is_served_again_with_its_objects_and_triggers(
        make_emulator: Any, caplog: pytest.LogCaptureFixture, kill: Any) -> None:
    caplog.set_level(logging.WARNING, "fnemu.s3")
    emu = make_emulator()
    emu.deploy("uploaded", UPLOADED, triggers=[{"type": "s3_upload", "config": {"bucket": "kept-bucket"}}])
    s3 = emu.s3_client()
    s3.put_object(Bucket="kept-bucket", Key="before", Body=b"kept")
    wait_until(lambda: len(emu.logs("uploaded")) == 1, message="the first upload's invocation")

    fake = emu.server.app[TRIGGERS][S3_UPLOAD]._s3  # the running emulator's own moto server
    server = fake._server
    thread = next(t for t in threading.enumerate() if t.name == "fnemu-s3" and server in t._args)  # type: ignore[attr-defined]
    kill(server)
    thread.join(timeout=10)
    assert not thread.is_alive(), "the server thread did not end"

    wait_until(lambda: fake._server not in (None, server), message="the fake S3 to serve again")
    assert s3.get_object(Bucket="kept-bucket", Key="before")["Body"].read() == b"kept"
    s3.put_object(Bucket="kept-bucket", Key="after", Body=b"new")
    wait_until(lambda: len(emu.logs("uploaded")) == 2, message="the next upload's invocation")
    entry = emu.logs("uploaded", limit=1)[0]
    assert entry["status_code"] == 200 and entry["consoleLogs"][0]["message"] == "after"
    lines = [r.getMessage() for r in caplog.records if r.name == "fnemu.s3"]
    assert len(lines) == 1 and "serving again on the same endpoint" in lines[0], lines
    assert fake.endpoint_url in lines[0]
