"""Real debugger clients for the debug-worker tests: DAP over debugpy's socket, and the Chrome
DevTools Protocol over the WebSocket `node --inspect` lists. Every wait has a deadline."""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.helpers import wait_until

Message = dict[str, Any]


class _Client:
    """What both clients share: messages kept until a `wait` asks for them. Each reads one message
    with `_read`, failing at the deadline."""

    seen: list[Message]
    """Every message read so far and not yet waited for (events included), in order."""

    def wait(self, match: Callable[[Message], bool], timeout: float) -> Message:
        """The first message (seen before, or read now) that matches; fails after `timeout` s."""
        deadline = time.monotonic() + timeout
        for message in self.seen:
            if match(message):
                self.seen.remove(message)
                return message
        while True:
            message = self._read(deadline)
            if match(message):
                return message
            self.seen.append(message)

    def _read(self, deadline: float) -> Message:
        raise NotImplementedError


class DapClient(_Client):
    """The Debug Adapter Protocol as an IDE speaks it: `Content-Length` framed JSON over TCP."""

    def __init__(self, port: int, timeout: float = 20.0) -> None:
        """Connects once the worker listens (it may still be starting)."""
        self._sock = wait_until(lambda: _connect(port, timeout), timeout, 0.05, f"debugpy to listen on {port}")
        self._buf = b""
        self._seq = itertools.count(1)
        self.seen = []

    def send(self, command: str, **arguments: Any) -> int:
        seq = next(self._seq)
        body = json.dumps({"seq": seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self._sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return seq

    def response(self, seq: int, timeout: float = 20.0) -> Message:
        reply = self.wait(lambda m: m.get("type") == "response" and m.get("request_seq") == seq, timeout)
        assert reply["success"], reply
        return reply

    def event(self, name: str, timeout: float = 20.0) -> Message:
        return self.wait(lambda m: m.get("type") == "event" and m.get("event") == name, timeout)

    def attach(self, breakpoints: dict[str, list[int]]) -> None:
        """initialize, attach, setBreakpoints, configurationDone: what VS Code's attach does."""
        self.response(self.send("initialize", clientID="fnemu-tests", adapterID="debugpy", pathFormat="path",
                                 linesStartAt1=True, columnsStartAt1=True))
        attach = self.send("attach", justMyCode=False)
        self.event("initialized")
        for path, lines in breakpoints.items():
            reply = self.response(self.send("setBreakpoints", source={"path": path},
                                            breakpoints=[{"line": line} for line in lines]))
            assert all(b["verified"] for b in reply["body"]["breakpoints"]), reply
        self.response(self.send("configurationDone"))
        self.response(attach)

    def wait_closed(self, timeout: float = 20.0) -> None:
        """Read until the other end closes the connection (the debuggee is gone)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, "the debug connection stayed open"
            self._sock.settimeout(left)
            try:
                if not self._sock.recv(65536):
                    return
            except ConnectionResetError:
                return

    def close(self) -> None:
        self._sock.close()

    def _read(self, deadline: float) -> Message:
        while True:
            head, sep, rest = self._buf.partition(b"\r\n\r\n")
            if sep:
                length = int(head.split(b":", 1)[1])
                if len(rest) >= length:
                    self._buf = rest[length:]
                    message: Message = json.loads(rest[:length])
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching DAP message; seen: {self.seen}")
            self._sock.settimeout(left)
            chunk = self._sock.recv(65536)
            assert chunk, "the debug adapter closed the connection"
            self._buf += chunk


def _connect(port: int, timeout: float) -> socket.socket | None:
    try:
        return socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return None


class CdpClient(_Client):
    """The Chrome DevTools Protocol on the first target `node --inspect` lists at /json/list."""

    def __init__(self, port: int) -> None:
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        self.url: str = targets[0]["webSocketDebuggerUrl"]
        self._ws: ClientConnection = connect(self.url, open_timeout=10, max_size=None, legacy=True)
        self._ids = itertools.count(1)
        self.seen = []

    def call(self, method: str, timeout: float = 20.0, **params: Any) -> Message:
        n = next(self._ids)
        self._ws.send(json.dumps({"id": n, "method": method, "params": params}))
        reply = self.wait(lambda m: m.get("id") == n, timeout)
        assert "error" not in reply, reply
        return reply

    def event(self, method: str, timeout: float = 20.0) -> Message:
        return self.wait(lambda m: m.get("method") == method, timeout)

    def _read(self, deadline: float) -> Message:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching CDP message; seen: {[m.get('method') for m in self.seen]}")
            try:
                message: Message = json.loads(self._ws.recv(timeout=left))
            except TimeoutError:
                continue
            return message

    def close(self) -> None:
        self._ws.close()
