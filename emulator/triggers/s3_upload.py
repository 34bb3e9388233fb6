"""§6 s3_upload: every object created in a watched bucket (prefix, content type) invokes the function.

The fake S3 starts with the first function that has this trigger (or the first `GET /_emu/s3`);
its buckets are created as the deploy is accepted (or, while moto still loads, before S3 answers
its first request). moto's request thread reports each created
object after the request (triggers/fake_s3.py); `call_soon_threadsafe` hands it to the loop,
which invokes each matching function once through `Invoker.invoke_event`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import itertools
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..config import S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
from ..errors import BadRequest, TooManyRequests
from ..events.s3 import PRINCIPAL_ID, CreatedObject, s3_event
from .base import Deployed, Trigger, TriggerContext, TriggerType
from .fake_s3 import FakeS3

if TYPE_CHECKING:
    from ..registry.spec import FunctionSpec

__all__ = ["S3_UPLOAD", "S3UploadTrigger", "check_bucket", "validate"]

_log = logging.getLogger("fnemu.s3")
_FIELDS = ("bucket", "prefix", "contentTypes")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BAD_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BAD_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_MEDIA_RE = re.compile(r"^[a-z0-9!#$&^_.+-]+/(?:[a-z0-9!#$&^_.+-]+|\*)$")
_KEY_MAX_BYTES = 1024
SAMPLE_KEY = "fnemu-sample.txt"
"""The key (below the trigger's prefix) of the object a sample event says was put."""

Key = tuple[str, str]


def sample_object(config: Mapping[str, Any], name: str = SAMPLE_KEY) -> tuple[str, str, str | None]:
    """The bucket, key (`name` below the trigger's prefix) and content type (its first that is not
    a wildcard, if any) of the object a sample event for an s3_upload trigger's `config` tells of."""
    types = [t for t in config.get("contentTypes", ()) if not t.endswith("/*")]
    return config.get("bucket", "fnemu-sample"), config.get("prefix", "") + name, types[0] if types else None


def validate(config: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The config with defaults filled in (`prefix` "", `contentTypes` [] = any); BadRequest
    naming the field otherwise."""
    for key in config:
        if key not in _FIELDS:
            raise BadRequest(f"{field}.{key}: unknown s3_upload trigger field; allowed: {', '.join(_FIELDS)}",
                             f"{field}.{key}")
    prefix = config.get("prefix")
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str) or len(prefix.encode()) > _KEY_MAX_BYTES:
        raise BadRequest(f"{field}.prefix: must be a string of at most {_KEY_MAX_BYTES} bytes (a key prefix, "
                         "e.g. \"uploads/\")", f"{field}.prefix")
    return {"bucket": check_bucket(config.get("bucket"), f"{field}.bucket"), "prefix": prefix,
            "contentTypes": _content_types(config.get("contentTypes"), f"{field}.contentTypes")}


def check_bucket(value: Any, field: str) -> str:
    """S3's naming rules for general purpose buckets."""
    if value is None:
        raise BadRequest(f"{field}: required, the name of the bucket to watch", field)
    rule = None
    if not isinstance(value, str) or not _BUCKET_RE.fullmatch(value):
        rule = ("3-63 characters of lower-case letters, digits, '.' and '-', beginning and ending with "
                "a letter or digit")
    elif ".." in value:
        rule = "without two adjacent periods"
    elif _is_ip(value):
        rule = "not formatted as an IP address"
    elif value.startswith(_BAD_PREFIXES) or value.endswith(_BAD_SUFFIXES):
        rule = (f"not starting with {', '.join(_BAD_PREFIXES)} nor ending with {', '.join(_BAD_SUFFIXES)} "
                "(reserved by S3)")
    if rule is not None:
        raise BadRequest(f"{field}: must be a valid S3 bucket name: {rule}", field)
    return str(value)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _content_types(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and _MEDIA_RE.fullmatch(v.lower())
                                              for v in value):
        raise BadRequest(f"{field}: must be a list of media types, e.g. [\"image/png\", \"text/*\"]", field)
    return [v.lower() for v in value]


@dataclass(frozen=True, slots=True)
class _Watch:
    """An s3_upload trigger compiled once per deploy: what created objects are checked against."""

    fn: Deployed
    bucket: str
    prefix: str
    content_types: tuple[str, ...]

    def matches(self, obj: CreatedObject) -> bool:
        if obj.bucket != self.bucket or not obj.key.startswith(self.prefix):
            return False
        if not self.content_types:
            return True
        media = obj.content_type.split(";", 1)[0].strip().lower()
        return any(t == media or (t.endswith("/*") and media.startswith(t[:-1])) for t in self.content_types)


class S3UploadTrigger(Trigger):
    type: ClassVar[str] = "s3_upload"

    def __init__(self, context: TriggerContext) -> None:
        self._context = context
        self._s3 = FakeS3(context.config.s3_port, self._report)
        self._watches: dict[Key, _Watch] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sequence = itertools.count(time.time_ns())
        """Sequencers: hex, growing with every event, as S3 orders the events of a key."""

    @property
    def endpoint_url(self) -> str:
        return self._s3.endpoint_url

    @property
    def running(self) -> bool:
        return self._s3.running

    @property
    def idle(self) -> bool:
        """No invocation this trigger started is still going (what a test waits for before it
        counts invocations: every event of an upload is dispatched at once)."""
        return not self._tasks

    async def info(self) -> dict[str, str]:
        """`GET /_emu/s3`: what an S3 client needs; starts S3 if it is not running (at once: a
        request sent while moto loads waits for it)."""
        self._loop = asyncio.get_running_loop()
        self._s3.start()
        return {"endpoint_url": self.endpoint_url, "region": self._context.config.region,
                "access_key_id": S3_ACCESS_KEY_ID, "secret_access_key": S3_SECRET_ACCESS_KEY}

    async def prepare(self, spec: FunctionSpec) -> None:
        """S3 listens from here on; moto loads in a thread of its own (never on the loop), and
        neither the deploy nor the start-up waits for it."""
        if spec.trigger("s3_upload") is not None:
            self._s3.start()

    def attach(self, fn: Deployed) -> None:
        trigger = fn.current.spec.trigger("s3_upload")
        if trigger is None:
            self._watches.pop((fn.app_id, fn.name), None)
            return
        config = trigger.config
        watch = _Watch(fn, config["bucket"], config["prefix"], tuple(config["contentTypes"]))
        self._watches[(fn.app_id, fn.name)] = watch
        self._loop = asyncio.get_running_loop()
        self._s3.start()  # started by `prepare` already: returns at once
        self._s3.create_bucket(watch.bucket, self._context.config.region)  # made before S3 serves

    def detach(self, fn: Deployed) -> None:
        self._watches.pop((fn.app_id, fn.name), None)

    async def reset(self) -> None:
        """Every bucket and object goes; the buckets the triggers name come back, empty."""
        self._s3.reset()
        if self._s3.running:
            for watch in self._watches.values():
                self._s3.create_bucket(watch.bucket, self._context.config.region)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.to_thread(self._s3.close)

    def _report(self, created: list[CreatedObject]) -> None:
        """In moto's thread: hand the objects to the loop (FakeS3 catches whatever this raises)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._dispatch, created)

    def sample_event(self, fn: Deployed) -> dict[str, Any]:
        """The event a put of `SAMPLE_KEY` below the function's prefix would hand it (test-invoke
        with trigger s3_upload); no object is written. Without the trigger: bucket `fnemu-sample`."""
        trigger = fn.current.spec.trigger("s3_upload")
        config: Mapping[str, Any] = trigger.config if trigger is not None else {}
        bucket, key, content_type = sample_object(config)
        obj = CreatedObject("ObjectCreated:Put", bucket, key, 0, hashlib.md5(b"").hexdigest(),
                            content_type or "text/plain", None, self._context.config.region, "127.0.0.1",
                            secrets.token_hex(8).upper(), base64.b64encode(secrets.token_bytes(48)).decode())
        return self._event(obj, fn, self._context.clock.now(), f"{next(self._sequence):018X}")

    def _event(self, obj: CreatedObject, fn: Deployed, now: float, sequencer: str) -> dict[str, Any]:
        return s3_event(obj, event_time=now, sequencer=sequencer, configuration_id=fn.name,
                        principal_id=PRINCIPAL_ID)

    def _dispatch(self, created: list[CreatedObject]) -> None:
        now = self._context.clock.now()
        for obj in created:
            sequencer = f"{next(self._sequence):018X}"
            for watch in [w for w in self._watches.values() if w.matches(obj)]:
                event = self._event(obj, watch.fn, now, sequencer)
                task = asyncio.ensure_future(self._context.invoker.invoke_event(
                    watch.fn, "s3_upload", event, summary=f"s3 {obj.bucket}/{obj.key}"))
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        exc = None if task.cancelled() else task.exception()
        if isinstance(exc, TooManyRequests):
            return  # the runtime logs refusals
        if exc is not None:
            _log.error("s3_upload: an invocation failed to run", exc_info=exc)


S3_UPLOAD = TriggerType("s3_upload", validate, S3UploadTrigger)
