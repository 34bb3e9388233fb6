"""The S3 event notification an `s3_upload` trigger hands a function, as AWS sends it (CONTRACT §6).

`lambda` handlers get it as their event; `web` handlers get it as the JSON body of a POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from ..clock import iso
from ..config import S3_ACCESS_KEY_ID

__all__ = ["PRINCIPAL_ID", "CreatedObject", "encode_key", "s3_event"]

PRINCIPAL_ID = f"AWS:{S3_ACCESS_KEY_ID}"
"""Who the fake S3 says created an object: its one access key."""


@dataclass(frozen=True, slots=True)
class CreatedObject:
    """One object creation as the fake S3 saw it, in plain values (no moto objects)."""

    event_name: str
    """`ObjectCreated:Put`, `:Post`, `:Copy` or `:CompleteMultipartUpload`."""
    bucket: str
    key: str
    """The key as stored (decoded)."""
    size: int
    etag: str
    """Without quotes, as the event carries it."""
    content_type: str
    version_id: str | None
    """Set only when the bucket is versioned (AWS leaves it out otherwise)."""
    region: str
    source_ip: str
    request_id: str
    host_id: str


def encode_key(key: str) -> str:
    """The key as AWS writes it in a notification: form-encoded (space → `+`, `+` → `%2B`,
    UTF-8 percent escapes), with `/` left as is."""
    return quote_plus(key, safe="/")


def s3_event(created: CreatedObject, *, event_time: float, sequencer: str, configuration_id: str,
             principal_id: str) -> dict[str, Any]:
    """One record, as S3 delivers it to a Lambda function. `sequencer` orders events of one key
    (hex, compared as strings); `configuration_id` names the notification (the function)."""
    obj: dict[str, Any] = {"key": encode_key(created.key), "size": created.size, "eTag": created.etag}
    if created.version_id is not None:
        obj["versionId"] = created.version_id
    obj["sequencer"] = sequencer
    return {
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": created.region,
            "eventTime": iso(event_time),
            "eventName": created.event_name,
            "userIdentity": {"principalId": principal_id},
            "requestParameters": {"sourceIPAddress": created.source_ip},
            "responseElements": {"x-amz-request-id": created.request_id, "x-amz-id-2": created.host_id},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": created.bucket,
                    "ownerIdentity": {"principalId": principal_id},
                    "arn": f"arn:aws:s3:::{created.bucket}",
                },
                "object": obj,
            },
        }],
    }
