"""Image uploads end to end against the AWS emulator: the presigned POST, the bucket's
notification on the images queue, the worker's handler, thumbnails in S3, and the product's
URLs that fetch them; bad uploads recorded as rejected and never retried."""

import asyncio
import io
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from botocore.exceptions import ClientError
from PIL import Image
from test_catalog_admin_api import role_headers

from ecommerce.catalog.images.image_bucket import ImageBucket
from ecommerce.catalog.images.image_processor import ImageProcessor, Outcome
from ecommerce.catalog.images.image_records import ImageRecords, Start
from ecommerce.catalog.images.product_image import MAX_UPLOAD_BYTES, ImageStatus, ProductImage
from ecommerce.catalog.images.s3_notifications import ObjectCreated
from ecommerce.catalog.products.public_api import build_app
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.messaging.consumer import Consumer, ConsumerOptions
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.messaging.queues import resolve_queue
from ecommerce.resources import physical

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
async def aws(provisioned: Any) -> AsyncIterator[AwsClients]:
    clients = AwsClients(os.environ["AWS_REGION"])
    yield clients
    await clients.close()


@pytest.fixture(scope="module")
async def client(provisioned: Any) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(Settings.from_env("catalog")))) as client:
        yield client


@pytest.fixture(scope="module")
async def admin(provisioned: Any) -> dict[str, str]:
    return (await role_headers())["admin"]


@pytest.fixture(scope="module")
async def processor(aws: AwsClients) -> ImageProcessor:
    bucket = physical("product-images")
    return ImageProcessor(
        ImageBucket(await aws.client("s3"), bucket),
        ImageRecords(await aws.client("dynamodb"), physical("products")),
        bucket,
    )


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def png(width: int = 800, height: int = 600) -> bytes:
    image = Image.new("RGB", (width, height), "navy")
    image.paste("orange", (0, 0, width // 3, height // 3))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def new_product(client: Client, admin: dict[str, str]) -> str:
    body = {
        "name": "Poster",
        "category": "home",
        "price": {"amount": 1500, "currency": "USD"},
        "stock": 4,
    }
    response = await client.post("/products", json=body, headers=admin)
    assert response.status == 201
    return str((await response.json())["id"])


async def upload(
    client: Client,
    admin: dict[str, str],
    http: aiohttp.ClientSession,
    product_id: str,
    data: bytes,
    content_type: str = "image/png",
) -> dict[str, Any]:
    """Ask for a presigned POST and send the file with it, as a browser form would."""
    response = await client.post(
        f"/products/{product_id}/images", json={"content_type": content_type}, headers=admin
    )
    assert response.status == 201, await response.text()
    form_spec: dict[str, Any] = await response.json()
    form = aiohttp.FormData()
    for name, value in form_spec["fields"].items():
        form.add_field(name, value)
    form.add_field("file", data, filename="upload", content_type=content_type)
    async with http.post(form_spec["url"], data=form) as posted:
        assert posted.status in (200, 201, 204), await posted.text()
    return form_spec


async def notification_for(sqs: Any, key: str, within: float = 15.0) -> Message:
    """The images queue's message about `key`; others are handed back at once."""
    url = (await sqs.get_queue_url(QueueName=physical("images")))["QueueUrl"]
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        received = await sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30
        )
        found = None
        for raw in received.get("Messages", []):
            if found is None and key in json.loads(raw["Body"])["Records"][0]["s3"]["object"][
                "key"
            ].replace("%2F", "/"):
                found = raw
            else:
                await sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=raw["ReceiptHandle"], VisibilityTimeout=0
                )
        if found is not None:
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=found["ReceiptHandle"])
            return Message.from_sqs(found)
    raise AssertionError(f"no notification for {key}")


async def uploads_of(client: Client, admin: dict[str, str], product_id: str) -> list[Any]:
    response = await client.get(f"/products/{product_id}/images", headers=admin)
    assert response.status == 200
    items: list[Any] = (await response.json())["items"]
    return items


async def test_an_uploaded_png_gets_thumbnails_that_the_product_links_to(
    client: Client,
    admin: dict[str, str],
    http: aiohttp.ClientSession,
    aws: AwsClients,
    processor: ImageProcessor,
) -> None:
    product_id = await new_product(client, admin)
    form = await upload(client, admin, http, product_id, png(800, 600))

    message = await notification_for(await aws.client("sqs"), form["key"])
    await processor.handle(message)

    s3 = await aws.client("s3")
    bucket = physical("product-images")
    for side in (128, 512):
        key = f"thumbnails/{product_id}/{form['upload_id']}-{side}.webp"
        head = await s3.head_object(Bucket=bucket, Key=key)
        assert head["ContentType"] == "image/webp"
    product = await (await client.get(f"/products/{product_id}")).json()
    [image] = product["images"]
    assert (image["id"], image["status"], image["format"]) == (form["upload_id"], "ready", "PNG")
    assert (image["width"], image["height"]) == (800, 600)
    assert set(image["thumbnails"]) == {"128", "512"}
    assert product["thumbnail_url"] == image["thumbnails"]["128"]
    async with http.get(image["url"]) as original:
        assert original.status == 200
        assert await original.read() == png(800, 600)
    for name, expected in (("128", (128, 96)), ("512", (512, 384))):
        async with http.get(image["thumbnails"][name]) as fetched:
            assert fetched.status == 200
            with Image.open(io.BytesIO(await fetched.read())) as thumbnail:
                assert (thumbnail.format, thumbnail.size) == ("WEBP", expected)
    listing = await (await client.get("/products", params={"category": "home"})).json()
    [summary] = [item for item in listing["items"] if item["id"] == product_id] or [None]
    if summary is not None:  # the listing may hold more than one page of "home"
        assert summary["thumbnail_url"] is not None and "images" not in summary

    # The same notification again (SQS delivers at least once): no work, no duplicate.
    assert await processor.process(_created(message)) is Outcome.SKIPPED
    assert len(await uploads_of(client, admin, product_id)) == 1


def _created(message: Message) -> ObjectCreated:
    record = json.loads(message.body)["Records"][0]
    return ObjectCreated(
        bucket=record["s3"]["bucket"]["name"],
        key=record["s3"]["object"]["key"].replace("%2F", "/"),
        size=record["s3"]["object"]["size"],
        event_name=record["eventName"],
        event_time=record["eventTime"],
        etag=record["s3"]["object"].get("eTag"),
    )


async def test_an_admin_deletes_an_image_and_a_late_outcome_does_not_bring_it_back(
    client: Client,
    admin: dict[str, str],
    http: aiohttp.ClientSession,
    aws: AwsClients,
    processor: ImageProcessor,
) -> None:
    product_id = await new_product(client, admin)
    first = await upload(client, admin, http, product_id, png(64, 64))
    await processor.handle(await notification_for(await aws.client("sqs"), first["key"]))
    url = f"/products/{product_id}/images/{first['upload_id']}"

    assert (await client.delete(url, headers=admin)).status == 204
    assert (await client.delete(url, headers=admin)).status == 404
    assert (await (await client.get(f"/products/{product_id}")).json())["images"] == []

    records = ImageRecords(await aws.client("dynamodb"), physical("products"))
    upload_id = uuid.uuid4().hex
    image = ProductImage(
        upload_id, f"uploads/{product_id}/{upload_id}", ImageStatus.PROCESSING, "t"
    )
    assert await records.start(product_id, image) is Start.PROCEED
    late = f"/products/{product_id}/images/{upload_id}"
    assert (await client.delete(late, headers=admin)).status == 204  # while it is processed
    assert await records.record(product_id, replace(image, status=ImageStatus.READY)) is False
    assert await uploads_of(client, admin, product_id) == []


async def test_a_text_file_is_rejected_recorded_and_not_shown(
    client: Client,
    admin: dict[str, str],
    http: aiohttp.ClientSession,
    aws: AwsClients,
    processor: ImageProcessor,
) -> None:
    product_id = await new_product(client, admin)
    # S3 checks only the claimed Content-Type: the worker looks at the bytes.
    form = await upload(client, admin, http, product_id, b"hello, I am not a PNG\n")

    await processor.handle(await notification_for(await aws.client("sqs"), form["key"]))

    [record] = await uploads_of(client, admin, product_id)
    assert (record["id"], record["status"]) == (form["upload_id"], "rejected")
    assert "not a readable image" in record["reason"]
    assert record["url"] is None and record["thumbnails"] == {}
    product = await (await client.get(f"/products/{product_id}")).json()
    assert (product["images"], product["thumbnail_url"]) == ([], None)
    s3 = await aws.client("s3")
    listed = await s3.list_objects_v2(
        Bucket=physical("product-images"), Prefix=f"thumbnails/{product_id}/"
    )
    assert listed.get("KeyCount", 0) == 0


async def test_an_upload_over_the_limit_is_rejected_without_being_read(
    client: Client, admin: dict[str, str], aws: AwsClients, processor: ImageProcessor
) -> None:
    product_id = await new_product(client, admin)
    key = f"uploads/{product_id}/{uuid.uuid4().hex}"
    s3 = await aws.client("s3")
    # AWS refuses this POST by its content-length-range; moto does not check policies.
    await s3.put_object(
        Bucket=physical("product-images"), Key=key, Body=b"\0" * (MAX_UPLOAD_BYTES + 1)
    )

    await processor.handle(await notification_for(await aws.client("sqs"), key))

    [record] = await uploads_of(client, admin, product_id)
    assert record["status"] == "rejected" and "more than" in record["reason"]


async def test_a_new_object_at_the_same_key_is_processed_again(
    client: Client,
    admin: dict[str, str],
    aws: AwsClients,
    processor: ImageProcessor,
) -> None:
    product_id = await new_product(client, admin)
    key = f"uploads/{product_id}/{uuid.uuid4().hex}"
    s3, sqs = await aws.client("s3"), await aws.client("sqs")
    bucket = physical("product-images")
    await s3.put_object(Bucket=bucket, Key=key, Body=b"garbage")
    await processor.handle(await notification_for(sqs, key))
    await s3.put_object(Bucket=bucket, Key=key, Body=png(300, 300))
    await processor.handle(await notification_for(sqs, key))

    [record] = await uploads_of(client, admin, product_id)
    assert (record["status"], record["width"]) == ("ready", 300)


async def test_an_upload_for_a_deleted_product_is_skipped_and_records_nothing(
    client: Client,
    admin: dict[str, str],
    http: aiohttp.ClientSession,
    aws: AwsClients,
    processor: ImageProcessor,
) -> None:
    product_id = await new_product(client, admin)
    form = await upload(client, admin, http, product_id, png())
    assert (await client.delete(f"/products/{product_id}", headers=admin)).status == 204

    message = await notification_for(await aws.client("sqs"), form["key"])
    assert await processor.process(_created(message)) is Outcome.SKIPPED
    products = await aws.client("dynamodb")
    item = (
        await products.get_item(
            TableName=physical("products"), Key={"pk": {"S": f"PRODUCT#{product_id}"}}
        )
    )["Item"]
    assert item["images"] == {"M": {}}


async def test_an_s3_failure_raises_so_the_runtime_retries(
    client: Client, admin: dict[str, str], aws: AwsClients
) -> None:
    product_id = await new_product(client, admin)
    key = f"uploads/{product_id}/{uuid.uuid4().hex}"
    broken = ImageProcessor(
        ImageBucket(await aws.client("s3"), "no-such-bucket-" + uuid.uuid4().hex[:8]),
        ImageRecords(await aws.client("dynamodb"), physical("products")),
        physical("product-images"),
    )
    created = ObjectCreated(physical("product-images"), key, 10, "ObjectCreated:Put", "t", "e")
    with pytest.raises(ClientError):
        await broken.process(created)
    [record] = await uploads_of(client, admin, product_id)
    assert record["status"] == "processing", "left for the retry to finish"


async def test_through_the_consumer_runtime_a_bad_upload_is_deleted_not_retried(
    client: Client,
    admin: dict[str, str],
    http: aiohttp.ClientSession,
    aws: AwsClients,
    processor: ImageProcessor,
) -> None:
    sqs = await aws.client("sqs")
    config = await resolve_queue(sqs, "images")
    good, bad = await new_product(client, admin), await new_product(client, admin)
    await upload(client, admin, http, good, png(64, 64))
    await upload(client, admin, http, bad, b"%PDF-1.7 not an image")
    await sqs.send_message(QueueUrl=config.url, MessageBody="{ not an S3 notification")
    consumer = Consumer(sqs, config, processor.handle, ConsumerOptions(wait_seconds=1))
    running = asyncio.create_task(consumer.run())
    try:
        for _ in range(100):
            statuses = [
                [u["status"] for u in await uploads_of(client, admin, product_id)]
                for product_id in (good, bad)
            ]
            if statuses == [["ready"], ["rejected"]]:
                break
            await asyncio.sleep(0.2)
        assert statuses == [["ready"], ["rejected"]]
    finally:
        consumer.stop()
        await running
    attributes = await sqs.get_queue_attributes(
        QueueUrl=config.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )
    assert attributes["Attributes"] == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }, "both uploads are done with, the bad one included"
    dead = await sqs.receive_message(
        QueueUrl=config.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    reasons = [m["MessageAttributes"]["failure_reason"]["StringValue"] for m in dead["Messages"]]
    assert any(r.startswith("poison: not an S3 notification") for r in reasons)
