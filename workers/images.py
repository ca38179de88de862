"""The images worker: thumbnails for uploaded product images. `python -m workers.images`."""

from __future__ import annotations

from ecommerce.catalog.images.image_bucket import ImageBucket
from ecommerce.catalog.images.image_processor import ImageProcessor
from ecommerce.catalog.images.image_records import ImageRecords
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker
from ecommerce.resources import physical


async def main(runtime: WorkerRuntime) -> None:
    bucket = physical("product-images")
    processor = ImageProcessor(
        ImageBucket(await runtime.clients.client("s3"), bucket),
        ImageRecords(await runtime.clients.client("dynamodb"), physical("products")),
        bucket,
    )
    await runtime.consume("images", processor.handle)


if __name__ == "__main__":
    run_worker("images-worker", main)
