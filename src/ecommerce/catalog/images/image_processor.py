"""The images worker's use case: an upload's S3 notification in, thumbnails and a record out.

For each created object under `uploads/<product_id>/<upload_id>`:
1. mark the upload `processing` on the product, unless this very object (same ETag) is done
   already (a redelivered notification does no work twice);
2. download it (never more than the upload limit), check it is a real JPEG, PNG or WEBP of an
   allowed size, and make the thumbnails, in a thread;
3. write the thumbnails under `thumbnails/`, then record the upload `ready` with their keys.

A bad upload is recorded `rejected` with the reason and logged, and the message is done: it
is never retried. S3 and DynamoDB errors propagate, so the runtime retries the message with
backoff and moves it to the DLQ in the end. An unparseable message is a `PoisonMessage`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from dataclasses import replace
from enum import Enum

import structlog

from ecommerce.catalog.images.image_bucket import ImageBucket, ObjectTooLarge
from ecommerce.catalog.images.image_records import ImageRecords, Start
from ecommerce.catalog.images.product_image import (
    MAX_UPLOAD_BYTES,
    THUMBNAIL_CONTENT_TYPE,
    THUMBNAIL_SIZES,
    ImageStatus,
    ProductImage,
    parse_upload_key,
    thumbnail_key,
)
from ecommerce.catalog.images.s3_notifications import (
    InvalidNotification,
    ObjectCreated,
    parse_notification,
)
from ecommerce.catalog.images.thumbnails import RejectedImage, check_size, make_thumbnails
from ecommerce.events import PoisonMessage
from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.message import Message

log = get_logger("catalog.images")


class Outcome(Enum):
    READY = "ready"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    """Not ours (another bucket or key), already done, or its product is gone."""


class ImageProcessor:
    def __init__(
        self,
        bucket: ImageBucket,
        records: ImageRecords,
        bucket_name: str,
        *,
        sizes: Sequence[int] = THUMBNAIL_SIZES,
        cpu_slots: int | None = None,
    ) -> None:
        self._bucket = bucket
        self._records = records
        self._bucket_name = bucket_name
        self._sizes = tuple(sizes)
        self._cpu = asyncio.Semaphore(cpu_slots or min(4, os.cpu_count() or 1))

    async def handle(self, message: Message) -> None:
        """The queue handler: every object a notification names."""
        try:
            created = parse_notification(message.body)
        except InvalidNotification as error:
            raise PoisonMessage(f"not an S3 notification: {error}") from error
        if not created:
            log.info("notification_without_uploads")
        for obj in created:
            await self.process(obj)

    async def process(self, obj: ObjectCreated) -> Outcome:
        parsed = parse_upload_key(obj.key)
        if obj.bucket != self._bucket_name or parsed is None:
            log.warning("image_not_an_upload", bucket=obj.bucket, key=obj.key)
            return Outcome.SKIPPED
        product_id, upload_id = parsed
        structlog.contextvars.bind_contextvars(product_id=product_id, upload_id=upload_id)
        image = ProductImage(
            upload_id, obj.key, ImageStatus.PROCESSING, obj.event_time, etag=obj.etag
        )
        start = await self._records.start(product_id, image)
        if start is not Start.PROCEED:
            log.info("image_skipped", why=start.value, key=obj.key)
            return Outcome.SKIPPED
        try:
            ready = await self._thumbnails(product_id, image, obj.size)
        except RejectedImage as rejection:
            rejected = replace(image, status=ImageStatus.REJECTED, reason=str(rejection))
            log.warning("image_rejected", key=obj.key, reason=str(rejection))
            if not await self._records.record(product_id, rejected):
                log.info("image_deleted_meanwhile", key=obj.key)
                return Outcome.SKIPPED
            return Outcome.REJECTED
        if not await self._records.record(product_id, ready):
            log.info("image_deleted_meanwhile", key=obj.key)
            return Outcome.SKIPPED
        log.info("image_ready", key=obj.key, thumbnails=[key for _, key in ready.thumbnails])
        return Outcome.READY

    async def _thumbnails(self, product_id: str, image: ProductImage, size: int) -> ProductImage:
        """The ready image, its thumbnails stored; `RejectedImage` for a bad upload."""
        check_size(size)
        try:
            stored = await self._bucket.download(image.key, MAX_UPLOAD_BYTES)
        except ObjectTooLarge as error:
            raise RejectedImage(f"the upload is more than {MAX_UPLOAD_BYTES} bytes") from error
        if stored is None:
            raise RejectedImage("the upload no longer exists")
        async with self._cpu:
            made = await asyncio.to_thread(make_thumbnails, stored.data, self._sizes)
        keys: list[tuple[int, str]] = []
        for side, data in sorted(made.by_size.items()):
            key = thumbnail_key(product_id, image.upload_id, side)
            await self._bucket.put(key, data, THUMBNAIL_CONTENT_TYPE)
            keys.append((side, key))
        return replace(
            image,
            status=ImageStatus.READY,
            thumbnails=tuple(keys),
            facts=made.facts,
            etag=stored.etag or image.etag,
        )
