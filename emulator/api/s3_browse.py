"""`/_emu/s3/buckets/...`: the fake S3's buckets and objects over plain JSON and bytes, for the UI
(a browser cannot sign S3 requests). Each call is one plain S3 request to the fake S3, so an upload
here fires s3_upload triggers exactly as one from any S3 client."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from xml.etree import ElementTree

from aiohttp import web

from ..config import S3_ACCESS_KEY_ID
from ..errors import ApiError, BadRequest, Conflict, NotFound
from ..keys import AUTH, TRIGGERS
from ..triggers.s3_upload import S3_UPLOAD, check_bucket
from .body import json_response

if TYPE_CHECKING:
    import httpx

__all__ = ["routes"]

routes = web.RouteTableDef()
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
_KEY_BYTES = 1024
_CALLER = {"Authorization": f"AWS4-HMAC-SHA256 Credential={S3_ACCESS_KEY_ID}/20260101/us-east-1/s3/aws4_request, "
                            "SignedHeaders=host, Signature=0"}
"""Names the fake S3's key: it checks no signature, but it answers an anonymous read of a private
object with 403."""


async def _s3(request: web.Request, method: str, path: str, *, content: bytes | None = None,
              headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> httpx.Response:
    """One request to the fake S3 (started if it is not running); its errors as the API's. httpx is
    imported on the first call, off the loop, as moto is: the emulator's start-up does not pay for it."""
    info = await request.app[TRIGGERS][S3_UPLOAD].info()
    http = await asyncio.to_thread(importlib.import_module, "httpx")
    async with http.AsyncClient(base_url=info["endpoint_url"], timeout=60, headers=_CALLER) as client:
        answer: httpx.Response = await client.request(method, path, content=content, headers=headers, params=params)
    if answer.status_code >= 400:
        try:
            root = ElementTree.fromstring(answer.content) if answer.content else None
        except ElementTree.ParseError:
            root = None
        code, message = ("", "") if root is None else (_text(root, "Code"), _text(root, "Message"))
        error: type[ApiError] = {404: NotFound, 409: Conflict}.get(answer.status_code, BadRequest)
        field = "key" if code == "NoSuchKey" else "bucket"
        raise error(f"{field}: S3 says {code or answer.status_code}: {message}".rstrip(": "), field)
    return answer


def _text(node: ElementTree.Element, tag: str) -> str:
    found = node.find(_NS + tag)
    if found is None:
        found = node.find(tag)
    return found.text or "" if found is not None else ""


def _bucket_path(request: web.Request) -> str:
    """The bucket's S3 path, for a developer (401 first), of a valid name (else 400)."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    return "/" + quote(check_bucket(request.match_info["bucket"], "bucket"), safe="")


def _object_path(request: web.Request) -> str:
    bucket, key = _bucket_path(request), request.match_info["key"]
    if len(key.encode()) > _KEY_BYTES or any(ord(c) < 0x20 or ord(c) == 0x7F for c in key):
        raise BadRequest(f"key: at most {_KEY_BYTES} bytes of UTF-8, without control characters", "key")
    return bucket + "/" + quote(key, safe="/")


@routes.get("/_emu/s3/buckets")
async def list_buckets(request: web.Request) -> web.Response:
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    root = ElementTree.fromstring((await _s3(request, "GET", "/")).content)
    buckets = [{"name": _text(b, "Name"), "created": _text(b, "CreationDate")}
               for b in root.iter(_NS + "Bucket")]
    return json_response({"buckets": buckets})


@routes.put("/_emu/s3/buckets/{bucket}")
async def create_bucket(request: web.Request) -> web.Response:
    await _s3(request, "PUT", _bucket_path(request))
    return json_response({"name": request.match_info["bucket"]}, 201)


@routes.get("/_emu/s3/buckets/{bucket}")
async def list_objects(request: web.Request) -> web.Response:
    """The bucket's objects (the first 1000), by key."""
    answer = await _s3(request, "GET", _bucket_path(request), params={"list-type": "2"})
    root = ElementTree.fromstring(answer.content)
    objects: list[dict[str, Any]] = [{"key": _text(o, "Key"), "size": int(_text(o, "Size") or 0),
                                      "modified": _text(o, "LastModified")} for o in root.iter(_NS + "Contents")]
    return json_response({"bucket": request.match_info["bucket"], "objects": objects})


@routes.put("/_emu/s3/buckets/{bucket}/objects/{key:.+}")
async def put_object(request: web.Request) -> web.Response:
    """Store the request body as the object (with its Content-Type): s3_upload triggers fire."""
    path = _object_path(request)
    body = await request.read()
    content_type = request.headers.get("Content-Type", "application/octet-stream")
    await _s3(request, "PUT", path, content=body, headers={"Content-Type": content_type})
    return json_response({"bucket": request.match_info["bucket"], "key": request.match_info["key"],
                          "size": len(body)}, 201)


@routes.get("/_emu/s3/buckets/{bucket}/objects/{key:.+}")
async def get_object(request: web.Request) -> web.Response:
    answer = await _s3(request, "GET", _object_path(request))
    name = request.match_info["key"].rsplit("/", 1)[-1]
    return web.Response(body=answer.content, headers={
        "Content-Type": answer.headers.get("Content-Type", "application/octet-stream"),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


@routes.delete("/_emu/s3/buckets/{bucket}/objects/{key:.+}")
async def delete_object(request: web.Request) -> web.Response:
    await _s3(request, "DELETE", _object_path(request))
    return web.Response(status=204)
