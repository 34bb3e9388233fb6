"""§6 s3_upload: the S3 event notification, built as AWS sends it (pure)."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import unquote_plus

import pytest

from emulator.events.s3 import CreatedObject, encode_key, s3_event

CREATED = CreatedObject(event_name="ObjectCreated:Put", bucket="uploads", key="in/cat.png", size=42,
                        etag="0123456789abcdef0123456789abcdef", content_type="image/png", version_id=None,
                        region="us-east-1", source_ip="127.0.0.1", request_id="C3D13FE58DE4C810",
                        host_id="FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD")


def test_record_has_every_field_aws_sends() -> None:
    event = s3_event(CREATED, event_time=1_767_225_600.5, sequencer="0055AED6DCD90281E5",
                     configuration_id="thumbnail", principal_id="AWS:fnemu")
    assert event == {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-01-01T00:00:00.500Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:fnemu"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": CREATED.request_id, "x-amz-id-2": CREATED.host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "thumbnail",
            "bucket": {"name": "uploads", "ownerIdentity": {"principalId": "AWS:fnemu"},
                       "arn": "arn:aws:s3:::uploads"},
            "object": {"key": "in/cat.png", "size": 42, "eTag": CREATED.etag,
                       "sequencer": "0055AED6DCD90281E5"},
        },
    }]}


def test_version_id_only_in_versioned_buckets() -> None:
    versioned = s3_event(replace(CREATED, version_id="096fKKXTRTtl3on89fVO.nfljtsv6qko"), event_time=0,
                         sequencer="00", configuration_id="c", principal_id="p")
    assert versioned["Records"][0]["s3"]["object"]["versionId"] == "096fKKXTRTtl3on89fVO.nfljtsv6qko"
    plain = s3_event(CREATED, event_time=0, sequencer="00", configuration_id="c", principal_id="p")
    assert "versionId" not in plain["Records"][0]["s3"]["object"]


@pytest.mark.parametrize(("key", "encoded"), [
    ("red flower.jpg", "red+flower.jpg"),
    ("a+b.txt", "a%2Bb.txt"),
    ("photos/2026/ünï cödé.png", "photos/2026/%C3%BCn%C3%AF+c%C3%B6d%C3%A9.png"),
    ("time=12:00&x.json", "time%3D12%3A00%26x.json"),
])
def test_keys_are_form_encoded_with_slashes_kept(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded
    assert unquote_plus(encoded) == key
