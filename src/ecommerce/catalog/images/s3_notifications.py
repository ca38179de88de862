"""S3 event notifications, as the bucket sends them to the `images` queue. Pure.

A message body is `{"Records": [...]}` (one record per object, in practice), or the
`s3:TestEvent` S3 sends once when a notification configuration is set. The same JSON wrapped
in an SNS envelope (`{"Type": "Notification", "Message": "..."}`) is understood too. Object
keys arrive URL-encoded (`+` for a space), as S3 documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from ecommerce.platform.json_text import NotJson, parse_json

OBJECT_CREATED = "ObjectCreated:"
TEST_EVENT = "s3:TestEvent"


class InvalidNotification(ValueError):
    """Not an S3 event notification: a message that can never be handled."""


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    size: int
    event_name: str
    event_time: str
    etag: str | None = None


def parse_notification(body: str) -> list[ObjectCreated]:
    """The objects a notification says were created: empty for a test event or for records
    of other events (removals, restores); `InvalidNotification` for anything else."""
    document = _json_object(body)
    if document.get("Type") == "Notification" and isinstance(document.get("Message"), str):
        document = _json_object(document["Message"])
    if document.get("Event") == TEST_EVENT:
        return []
    records = document.get("Records")
    if not isinstance(records, list) or not records:
        raise InvalidNotification("no Records: not an S3 event notification")
    return [created for record in records if (created := _object_created(record)) is not None]


def _json_object(text: str) -> dict[str, Any]:
    try:
        document = parse_json(text)
    except NotJson as error:
        raise InvalidNotification(f"not JSON: {error}") from error
    if not isinstance(document, dict):
        raise InvalidNotification("not a JSON object")
    return document


def _object_created(record: Any) -> ObjectCreated | None:
    if not isinstance(record, dict):
        raise InvalidNotification("a record is not an object")
    name = record.get("eventName")
    if not isinstance(name, str) or record.get("eventSource") != "aws:s3":
        raise InvalidNotification("a record without an S3 eventName")
    if not name.startswith(OBJECT_CREATED):
        return None
    try:
        bucket = record["s3"]["bucket"]["name"]
        obj = record["s3"]["object"]
        key, size, etag = obj["key"], obj.get("size", 0), obj.get("eTag")
    except (KeyError, TypeError) as error:
        raise InvalidNotification(f"a record without {error}") from error
    event_time = record.get("eventTime", "")
    if not (isinstance(bucket, str) and isinstance(key, str) and key):
        raise InvalidNotification("a record whose bucket or key is not a string")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InvalidNotification("a record whose object size is not a count of bytes")
    if not isinstance(event_time, str):
        raise InvalidNotification("a record whose eventTime is not a string")
    if etag is not None and not isinstance(etag, str):
        raise InvalidNotification("a record whose eTag is not a string")
    return ObjectCreated(
        bucket, unquote_plus(key), size, name, event_time, etag and etag.strip('"')
    )
