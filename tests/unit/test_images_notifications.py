"""S3 event notifications, upload keys, and the worker's handling of messages it cannot use."""

import json
from typing import Any

import pytest

from ecommerce.catalog.images.image_processor import ImageProcessor
from ecommerce.catalog.images.product_image import (
    CONTENT_TYPES,
    THUMBNAIL_PREFIX,
    UPLOAD_PREFIX,
    parse_upload_key,
    thumbnail_key,
    upload_key,
)
from ecommerce.catalog.images.s3_notifications import (
    InvalidNotification,
    ObjectCreated,
    parse_notification,
)
from ecommerce.events import PoisonMessage
from ecommerce.platform.messaging.message import Message
from ecommerce.resources import RESOURCES

UPLOAD_ID = "0123456789abcdef0123456789abcdef"


def record(key: str, event: str = "ObjectCreated:Post", size: int = 635) -> dict[str, Any]:
    """A record as AWS documents it (moto sends the same shape)."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2030-01-01T12:00:00.000Z",
        "eventName": event,
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "images-uploads",
            "bucket": {"name": "ecommerce-product-images", "arn": "arn:aws:s3:::x"},
            "object": {"key": key, "size": size, "eTag": "e9d0c3b9", "sequencer": "0A1B"},
        },
    }


def test_an_object_created_record_is_read_with_its_key_decoded() -> None:
    body = json.dumps({"Records": [record("uploads%2Fp-1%2F" + UPLOAD_ID)]})
    assert parse_notification(body) == [
        ObjectCreated(
            bucket="ecommerce-product-images",
            key=f"uploads/p-1/{UPLOAD_ID}",
            size=635,
            event_name="ObjectCreated:Post",
            event_time="2030-01-01T12:00:00.000Z",
            etag="e9d0c3b9",
        )
    ]


def test_a_key_with_spaces_arrives_plus_encoded() -> None:
    [created] = parse_notification(json.dumps({"Records": [record("uploads/a+b%2Bc.png")]}))
    assert created.key == "uploads/a b+c.png"


def test_the_test_event_and_other_events_create_nothing() -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}
    assert parse_notification(json.dumps(test_event)) == []
    removed = {"Records": [record("uploads/x", event="ObjectRemoved:Delete")]}
    assert parse_notification(json.dumps(removed)) == []


def test_a_notification_wrapped_by_sns_is_unwrapped() -> None:
    inner = json.dumps({"Records": [record(f"uploads/p-1/{UPLOAD_ID}")]})
    wrapped = json.dumps({"Type": "Notification", "Message": inner})
    assert [c.key for c in parse_notification(wrapped)] == [f"uploads/p-1/{UPLOAD_ID}"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not json",
        "[1, 2]",
        json.dumps({"Records": []}),
        json.dumps({"Records": "x"}),
        json.dumps({"id": "an event envelope", "type": "OrderPlaced"}),
        json.dumps({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}),
        json.dumps({"Records": [{**record("k"), "eventSource": "aws:sqs"}]}),
        json.dumps({"Records": [record("k", size=-1)]}),
        json.dumps({"Records": [record("")]}),
        json.dumps({"Records": ["a string"]}),
    ],
)
def test_anything_else_is_an_invalid_notification(body: str) -> None:
    with pytest.raises(InvalidNotification):
        parse_notification(body)


async def test_the_worker_sends_an_invalid_notification_to_the_dlq_as_poison() -> None:
    processor = ImageProcessor(None, None, "bucket")  # type: ignore[arg-type]
    message = Message("m-1", "r-1", "not json", 1, None, {}, None)
    with pytest.raises(PoisonMessage, match="not an S3 notification"):
        await processor.handle(message)


def test_upload_keys_round_trip() -> None:
    key = upload_key("p-001", UPLOAD_ID)
    assert key == f"uploads/p-001/{UPLOAD_ID}"
    assert parse_upload_key(key) == ("p-001", UPLOAD_ID)


@pytest.mark.parametrize(
    "key",
    [
        f"thumbnails/p-001/{UPLOAD_ID}",
        f"uploads/p-001/{UPLOAD_ID}/extra",
        f"uploads/p 001/{UPLOAD_ID}",
        "uploads/p-001/not-an-upload-id",
        f"uploads//{UPLOAD_ID}",
        "uploads/p-001",
    ],
)
def test_other_keys_are_not_uploads(key: str) -> None:
    assert parse_upload_key(key) is None


def test_thumbnails_live_outside_the_notified_prefix() -> None:
    key = thumbnail_key("p-001", UPLOAD_ID, 128)
    assert key.startswith(THUMBNAIL_PREFIX) and not key.startswith(UPLOAD_PREFIX)


def test_the_bucket_notifies_exactly_the_upload_prefix() -> None:
    [notification] = RESOURCES.bucket_notifications
    assert (notification.bucket, notification.queue) == ("product-images", "images")
    assert notification.prefix == UPLOAD_PREFIX


def test_the_api_offers_the_types_the_worker_accepts() -> None:
    from ecommerce.catalog.products.request_bodies import UploadIn

    offered = UploadIn.model_json_schema()["properties"]["content_type"]["anyOf"][0]["enum"]
    assert sorted(offered) == sorted(CONTENT_TYPES)
