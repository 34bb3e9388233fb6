"""moto's S3 on a reserved 127.0.0.1 port, started on first need, reporting each object created.

moto is imported only after `start`, in a thread of its own (0.3-1 s): an emulator with no use
for S3 never pays it, and one that has never waits for it, neither its start-up nor its loop. The
port is bound from the start, so the endpoint handed to workers at deploy is the one S3 answers
on; from `start` it listens, so a client that connects while moto is still loading waits in the
socket's backlog and is served once it has loaded, never refused. Buckets created before then
are kept and made before the first request is served. If the server ends while the emulator runs
(its loop raised, or something shut it down), it is served again on that same socket at once, with
one line on stderr: moto's buckets and objects live in this process and are kept, and the next
upload fires its triggers as before.

How objects are seen: moto calls `moto.s3.notifications.send_event` through its module for every
notification-worthy change, in the request's own thread, before the object's metadata (its
content type) is set. So the hook only notes the call in a thread-local list, and the WSGI
wrapper reports the request's objects once moto has finished with it: then they are complete and
readable. These are private names of moto 5.2.5 (pinned); tests/triggers/test_s3_moto_hook.py
fails if an upgrade moves them.
"""

from __future__ import annotations

import base64
import functools
import logging
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..config import DEFAULT_HOST
from ..events.s3 import CreatedObject

__all__ = ["FakeS3"]

_log = logging.getLogger("fnemu.s3")

_CREATED = {"s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
            "s3:ObjectCreated:CompleteMultipartUpload"}
_RESTART_GAP_S = 1.0
"""A server that ends again within this long of being restarted is left stopped (with a line
saying so): a socket that can no longer serve must not spin."""
_request = threading.local()
"""`seen`: the (event name, bucket, key) moto notified during the request this thread serves."""

Report = Callable[[list[CreatedObject]], None]


class FakeS3:
    """One moto S3 server. moto keeps its state per process: two of these serving at once in one
    process (tests that start extra emulators) serve the same buckets. One that starts serving
    while no other does starts empty: what an emulator stopped earlier in the process left in
    moto is not this one's."""

    def __init__(self, port: int, report: Report) -> None:
        self._report = report
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((DEFAULT_HOST, port))
        except OSError as exc:
            self._sock.close()
            raise OSError(exc.errno, f"the S3 port {port} is taken ({exc.strerror})") from None
        self.endpoint_url = f"http://{DEFAULT_HOST}:{port}"
        self._lock = threading.Lock()
        """Guards what the loading thread and the callers share: the fields below."""
        self._started = False
        self._closed = False
        self._server: Any = None
        self._served_at = 0.0
        self._restarted = False
        self._pending: dict[str, str] = {}
        """Buckets (name → region) asked for while moto loads: made before it serves."""

    @property
    def running(self) -> bool:
        """It takes connections (it may still be loading moto: they wait)."""
        return self._started

    def start(self) -> None:
        """Listen, and load moto in a thread that then serves; returns at once. Idempotent."""
        with self._lock:
            if self._started or self._closed:
                return
            self._sock.listen(128)
            self._started = True
        threading.Thread(target=self._load, name="fnemu-s3-load", daemon=True).start()

    def _load(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        class Handler(MotoRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                """One line per S3 call would bury the invocation lines."""

        _install_hook()
        app = _Reporting(DomainDispatcherApplication(create_backend_app), self._report)
        with self._lock:
            if self._closed:
                return
            with _serving_lock:
                if not _serving:
                    _clear_moto()
                _serving.add(self)
            for name, region in self._pending.items():
                _make_bucket(name, region)
            self._pending.clear()
            self._serve(app, Handler)

    def _serve(self, app: Any, handler: Any) -> None:
        """A server on the reserved socket, in a thread of its own (under the lock)."""
        from werkzeug.serving import make_server

        server = make_server(DEFAULT_HOST, 0, app, threaded=True, request_handler=handler,
                             fd=self._sock.fileno())
        self._server = server
        self._served_at = time.monotonic()
        threading.Thread(target=self._run, args=(server, app, handler), name="fnemu-s3", daemon=True).start()

    def _run(self, server: Any, app: Any, handler: Any) -> None:
        """The server's thread: serves until `close`; if it ends before, S3 is served again."""
        try:
            server.serve_forever(poll_interval=0.05)
            ended = "was shut down"
        except Exception as exc:  # noqa: BLE001 - whatever ended it, S3 must come back
            ended = f"failed ({type(exc).__name__}: {exc})"
        with self._lock:
            if self._server is not server:
                return  # closed by `close`
            server.server_close()
            if time.monotonic() - self._served_at < _RESTART_GAP_S and self._restarted:
                self._server = None
                _log.error("fake S3 on %s: its server %s again at once; not restarted (restart fnemu)",
                           self.endpoint_url, ended)
                return
            try:
                self._serve(app, handler)
            except OSError as exc:
                self._server = None
                _log.error("fake S3 on %s: its server %s and cannot be restarted: %s", self.endpoint_url,
                           ended, exc.strerror or exc)
                return
            self._restarted = True
        _log.warning("fake S3 on %s: its server %s; serving again on the same endpoint, buckets and "
                     "objects kept", self.endpoint_url, ended)

    def create_bucket(self, name: str, region: str) -> None:
        """Make the bucket unless it exists (in moto's backend, not over HTTP: no round trip); while
        moto loads, it is made before the first request is served."""
        with self._lock:
            if self._server is None:
                self._pending.setdefault(name, region)
                return
        _make_bucket(name, region)

    def reset(self) -> None:
        """Every bucket and object goes. moto's state is per process, so this runs whenever moto
        is loaded at all, even if this emulator's S3 never started: another emulator in the same
        process (a pytest session serving two folders) may have filled it. moto lists every
        object it ever made (to close their files at a reset); clearing those lists, as moto's
        own reset does, keeps the next reset from walking them again. While this emulator's moto
        loads, nothing has been stored yet: the pending buckets stay (the triggers name them)."""
        with self._lock:
            if self._started and self._server is None:
                return
        if "moto.s3.models" in sys.modules:
            _clear_moto()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
            with _serving_lock:
                _serving.discard(self)
        if server is not None:
            server.shutdown()
            server.server_close()
        self._sock.close()


_serving: set[FakeS3] = set()
"""The instances of this process whose moto serves (loaded, not closed): they share its state."""
_serving_lock = threading.Lock()


def _clear_moto() -> None:
    """Every bucket and object in this process's moto goes (moto is loaded)."""
    from moto.core.model_instances import reset_model_data

    _backend().reset()
    reset_model_data()


def _backend() -> Any:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


def _make_bucket(name: str, region: str) -> None:
    """The bucket in moto's backend (no HTTP round trip), unless it exists."""
    backend = _backend()
    if name not in backend.buckets:
        backend.create_bucket(name, region)


def _install_hook() -> None:
    """Wrap moto's `send_event` once per process; moto's own notifications still go out."""
    from moto.s3 import notifications

    original = notifications.send_event
    if getattr(original, "fnemu_hook", False):
        return

    @functools.wraps(original)
    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        original(account_id, event_name, bucket, key)
        seen = getattr(_request, "seen", None)
        if seen is not None:
            seen.append((str(getattr(event_name, "value", event_name)), bucket, key))

    setattr(send_event, "fnemu_hook", True)  # a mark on moto's function: patched once per process
    notifications.send_event = send_event


class _Reporting:
    """WSGI wrapper: after moto has handled a request, report the objects it created."""

    def __init__(self, app: Any, report: Report) -> None:
        self._app = app
        self._report = report

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: list[tuple[str, Any, Any]] = []
        headers: dict[str, str] = {}

        def start(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.update((k.lower(), v) for k, v in response_headers)
            return start_response(status, response_headers, exc_info)

        _request.seen = seen
        try:
            body: Iterable[bytes] = self._app(environ, start)
            return body
        finally:
            _request.seen = None
            if seen:
                self._deliver(seen, environ, headers)

    def _deliver(self, seen: list[tuple[str, Any, Any]], environ: dict[str, Any],
                 headers: dict[str, str]) -> None:
        """Never raises: the user's upload has succeeded whatever happens here. Completing a
        multipart upload makes moto notify a Put and then the CompleteMultipartUpload; AWS sends
        only the latter, so the Put of a multipart object is left out."""
        try:
            created = [_created(name, bucket, key, environ, headers) for name, bucket, key in seen
                       if name in _CREATED
                       and not (name == "s3:ObjectCreated:Put" and key.multipart is not None)]
            if created:
                self._report(created)
        except Exception:  # noqa: BLE001 - logged; the PUT must still succeed
            _log.exception("s3_upload: could not report an upload")


def _created(name: str, bucket: Any, key: Any, environ: dict[str, Any],
             headers: dict[str, str]) -> CreatedObject:
    return CreatedObject(
        event_name=name.removeprefix("s3:"),
        bucket=bucket.name,
        key=key.name,
        size=key.size,
        etag=key.etag.strip('"'),
        content_type=key.metadata.get("Content-Type", "binary/octet-stream"),
        version_id=key.version_id if bucket.is_versioned else None,
        region=bucket.region_name,
        source_ip=environ.get("REMOTE_ADDR", DEFAULT_HOST),
        request_id=headers.get("x-amz-request-id") or secrets.token_hex(8).upper(),
        host_id=headers.get("x-amz-id-2") or base64.b64encode(secrets.token_bytes(48)).decode(),
    )
