"""Talking to a running fnemu over HTTP: one home for the CLI and the pytest plugin."""

from __future__ import annotations

import base64
import builtins
import ssl
import time
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import httpx
import orjson

from .events.webhook import delivery
from .triggers.signatures import sign
from .urls import api_path

__all__ = ["Client", "ClientError", "DeployFailed", "tls_for"]


def tls_for(url: str) -> ssl.SSLContext | bool:
    """httpx's `verify` for a client of `url`. By default each httpx client reads the whole CA
    bundle as it is made (about 30 ms); a plain `http://` fnemu never uses it, so its clients get a
    context with no CA at all (which could verify nothing, were it ever asked to)."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT) if url.startswith("http://") else True


class ClientError(Exception):
    """A call failed; `message` is one line fit to show a user. When the server answered with its
    error envelope, `code` and `field` are the envelope's (else None)."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body
        error = body.get("error") if isinstance(body, dict) else None
        self.code: str | None = error.get("code") if isinstance(error, dict) else None
        self.field: str | None = error.get("field") if isinstance(error, dict) else None


class DeployFailed(ClientError):
    """A deploy the server refused: `deploy failed (400 deploy_failed): code: SyntaxError: ...`,
    the status, the API's code, then the field and the API's message."""

    def __init__(self, refused: ClientError) -> None:
        error = refused.body.get("error") if isinstance(refused.body, dict) else None
        detail = error.get("message") if isinstance(error, dict) else None
        if not isinstance(detail, str):
            detail = refused.message
        elif refused.field and not detail.startswith(f"{refused.field}:"):
            detail = f"{refused.field}: {detail}"
        what = " ".join(str(part) for part in (refused.status, refused.code) if part is not None)
        super().__init__(f"deploy failed{f' ({what})' if what else ''}: {detail}", refused.status, refused.body)


class Client:
    """Management and control calls with the developer token; `app_id` scopes function calls."""

    def __init__(self, url: str, token: str, app_id: str = "local", timeout: float = 330.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.app_id = app_id
        self.http = httpx.Client(base_url=self.url, timeout=timeout, verify=tls_for(self.url),
                                 headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.send(self.http.build_request(method, path, **kwargs))

    def send(self, request: httpx.Request) -> httpx.Response:
        try:
            return self.http.send(request)
        except httpx.ConnectError:
            raise ClientError(f"cannot reach fnemu at {self.url}: is `fnemu start` running?") from None
        except httpx.TimeoutException:
            raise ClientError(f"fnemu at {self.url} did not answer in time") from None

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """A JSON call; ClientError carrying the server's error message on any non-2xx."""
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            self._raise_for(response)
        try:
            return response.json()
        except ValueError:
            return response.text

    @staticmethod
    def _raise_for(response: httpx.Response) -> NoReturn:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        message = f"HTTP {response.status_code}"
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            message = f"{message}: {body['error'].get('message')}"
        raise ClientError(message, response.status_code, body)

    def functions_path(self, name: str | None = None, suffix: str = "") -> str:
        base = api_path("v1", self.app_id, "functions")
        return f"{base}{api_path(name)}{suffix}" if name else base

    def deploy(self, name: str, code: str, **fields: Any) -> dict[str, Any]:
        """The function object; DeployFailed, with the API's error, when the server refuses it."""
        __tracebackhide__ = True  # a failed deploy in a test shows the test's line, not this module
        try:
            result: dict[str, Any] = self.api("POST", self.functions_path(), json={"name": name, "code": code,
                                                                                   **fields})
        except ClientError as refused:
            raise DeployFailed(refused) from None
        return result

    def get(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api("GET", self.functions_path(name))
        return result

    def list(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.api("GET", self.functions_path())["functions"]
        return result

    def delete(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.api("DELETE", self.functions_path(name))
        return result

    def invoke(self, name: str, **request: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.api("POST", self.functions_path(name, "/invoke"), json=request)
        return result

    def logs(self, name: str, **filters: Any) -> builtins.list[dict[str, Any]]:
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items() if v is not None}
        result: builtins.list[dict[str, Any]] = self.api("GET", self.functions_path(name, "/logs"),
                                                         params=params)["logs"]
        return result

    def follow_logs(self, name: str, *, level: str = "all", limit: int = 10) -> Iterator[dict[str, Any]]:
        """Entries as they happen (the server streams them), until interrupted. The server ends a
        stream only when it stops: ClientError saying so."""
        path = self.functions_path(name, "/logs/stream")
        try:
            with self.http.stream("GET", path, params={"level": level, "limit": limit}, timeout=None) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for(response)
                for line in response.iter_lines():
                    if line.strip():
                        yield orjson.loads(line)
        except httpx.ConnectError:
            raise ClientError(f"cannot reach fnemu at {self.url}: is `fnemu start` running?") from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            pass
        raise ClientError(f"fnemu at {self.url} went away (the server stopped): no more log entries")

    def set_env(self, name: str, env: dict[str, str | None]) -> builtins.list[str]:
        result: builtins.list[str] = self.api("PATCH", self.functions_path(name, "/env"), json={"envVars": env})["envVars"]
        return result

    def reset(self) -> None:
        self.api("POST", "/_emu/reset")

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self.api("GET", "/_emu/health")
        return result

    def user_token(self, sub: str, **claims: Any) -> str:
        return self.create_token(sub, claims)

    def create_token(self, sub: str, claims: dict[str, Any], ttl: int | None = None) -> str:
        """An end-user JWT for `sub` with `claims` at its top level, valid `ttl` seconds (default 3600)."""
        body: dict[str, Any] = {"sub": sub, "claims": claims}
        if ttl is not None:
            body["ttl"] = ttl
        token: str = self.api("POST", "/_emu/tokens", json=body)["token"]
        return token

    def tools(self, token: str | None = None) -> builtins.list[dict[str, Any]]:
        """The app's agent tools that `token` (default: the developer token) may call."""
        result: builtins.list[dict[str, Any]] = self.api("GET", api_path("v1", self.app_id, "agent-tools"),
                                                headers=self._bearer(token))["tools"]
        return result

    def call_tool(self, name: str, input: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        """The invocation envelope, or `{"approval_id"}` for a read_write tool (it waits for approval)."""
        result: dict[str, Any] = self.api("POST", api_path("v1", self.app_id, "agent-tools", name, "call"),
                                          json={"input": input}, headers=self._bearer(token))
        return result

    def approvals(self) -> builtins.list[dict[str, Any]]:
        result: builtins.list[dict[str, Any]] = self.api("GET", "/_emu/approvals")["approvals"]
        return result

    def decide(self, approval_id: str, approve: bool) -> dict[str, Any]:
        """Approving runs the held call once: its envelope; rejecting: `{"approval_id", "status"}`."""
        result: dict[str, Any] = self.api("POST", api_path("_emu", "approvals", approval_id), json={"approve": approve})
        return result

    def action(self, body: dict[str, Any]) -> dict[str, Any]:
        """The seed 000 action's answer `{"status", "response"}`, errors included (they are in it)."""
        response = self.request("POST", "/v1/action/serverless_function", json=body)
        try:
            answer = response.json()
        except ValueError:
            self._raise_for(response)
        if not isinstance(answer, dict) or "status" not in answer:
            self._raise_for(response)
        result: dict[str, Any] = answer
        return result

    @staticmethod
    def _bearer(token: str | None) -> dict[str, str] | None:
        return None if token is None else {"Authorization": f"Bearer {token}"}

    def fire_cron(self, name: str) -> dict[str, Any]:
        """Fire NAME's cron trigger now; the invocation envelope."""
        result: dict[str, Any] = self.api("POST", api_path("_emu", "cron", self.app_id, name))
        return result

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the emulator clock; `{"now", "fired", "skipped"}` once every fire has finished."""
        result: dict[str, Any] = self.api("POST", "/_emu/clock/advance", json={"seconds": seconds})
        return result

    def set_clock(self, when: str) -> dict[str, Any]:
        """Jump the emulator clock to `when` (ISO 8601); `{"now", "fired", "skipped"}` as an advance."""
        result: dict[str, Any] = self.api("POST", "/_emu/clock/set", json={"time": when})
        return result

    def reset_clock(self) -> dict[str, Any]:
        """The emulator clock back to where start set it: `{"now", "frozen"}`."""
        result: dict[str, Any] = self.api("POST", "/_emu/clock/reset")
        return result

    def clock(self) -> dict[str, Any]:
        """`{"now", "frozen", "next"}`: the emulator clock and the next cron fires."""
        result: dict[str, Any] = self.api("GET", "/_emu/clock")
        return result

    def s3_info(self) -> dict[str, str]:
        """`{"endpoint_url", "region", "access_key_id", "secret_access_key"}` of the fake S3 (started
        if it was not running)."""
        result: dict[str, str] = self.api("GET", "/_emu/s3")
        return result

    def webhook(self, name: str) -> dict[str, Any]:
        """NAME's webhook trigger object: `type`, `config`, `url`, and `secret` when it has one."""
        for trigger in self.get(name)["triggers"]:
            if trigger["type"] == "webhook":
                found: dict[str, Any] = trigger
                return found
        raise ClientError(f"function {name!r} has no webhook trigger")

    def webhook_send(self, name: str, *, source: str | None = None, body: bytes | None = None,
                     event: str | None = None) -> httpx.Response:
        """POST a delivery to NAME's webhook URL signed as `source` would sign it (by default the
        first of its allowed sources; unsigned when it has no secret); the function's response."""
        hook = self.webhook(name)
        secret = hook.get("secret")
        if secret is None and source is not None:
            raise ClientError(f"function {name!r}'s webhook has no secret (secret_required is false): there is "
                              f"nothing to sign a {source} delivery with; leave the source out")
        if secret is not None and source is None:
            source = hook["config"]["allowed_sources"].split(",")[0]
        now = int(time.time())
        payload, headers = delivery(source, event, body, timestamp=now)
        if secret is not None and source is not None:
            headers.update(sign(source, secret, payload, timestamp=now))
        return self.send(self._as_sender("POST", hook["url"], list(headers.items()), payload))

    def replay(self, invocation_id: str) -> dict[str, Any]:
        """Run a logged invocation again against its function's current version (a webhook
        delivery signed afresh); the new invocation's envelope."""
        entry = self.api("GET", api_path("_emu", "invocations", invocation_id))
        result: dict[str, Any] = self.api("POST", api_path("v1", entry["app_id"], "functions", entry["function"],
                                                           "logs", invocation_id, "replay"))
        return result

    def _as_sender(self, method: str, url: str, headers: Sequence[tuple[str, str]],
                   body: bytes) -> httpx.Request:
        """A request as a provider makes it: its own headers only (no developer token)."""
        return httpx.Request(method, url, headers=headers, content=body,
                             extensions={"timeout": self.http.timeout.as_dict()})

    def s3_client(self) -> Any:
        """A boto3 S3 client on the fake S3 (boto3 is imported here: other commands skip its cost)."""
        import boto3

        info = self.s3_info()
        return boto3.client("s3", endpoint_url=info["endpoint_url"], region_name=info["region"],
                            aws_access_key_id=info["access_key_id"],
                            aws_secret_access_key=info["secret_access_key"])
