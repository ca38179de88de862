"""The product-images bucket: presigned uploads and downloads for the API, objects for the
images worker. The only module of the catalog that talks to S3.

Presigned URLs are signed with SigV4 (`signing_config`): botocore would otherwise presign with
the legacy SigV2 in us-east-1, which S3 refuses in newer regions. A presigned URL is built from
the client's endpoint, so with `AWS_ENDPOINT_URL` set it points at the emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from ecommerce.catalog.images.product_image import MAX_UPLOAD_BYTES, MIN_UPLOAD_BYTES
from ecommerce.platform.aws import client_config

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

UPLOAD_EXPIRY_SECONDS = 600
DOWNLOAD_EXPIRY_SECONDS = 900
"""How long a URL in a product document fetches its image: re-read the product for new ones."""


@dataclass(frozen=True)
class PresignedUpload:
    url: str
    fields: dict[str, str]
    expires_in: int


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str | None


class ObjectTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


def signing_config(pool_size: int = 20) -> AioConfig:
    merged: AioConfig = client_config(pool_size).merge(AioConfig(signature_version="s3v4"))
    return merged


@asynccontextmanager
async def presigning_s3(region: str) -> AsyncIterator[Any]:
    """An S3 client that presigns with SigV4; open it inside the running loop."""
    async with get_session().create_client(
        "s3", region_name=region, config=signing_config()
    ) as client:
        yield client


class ImageBucket:
    def __init__(self, s3: S3Client, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    async def presigned_upload(self, key: str, content_type: str | None) -> PresignedUpload:
        """A form POST that can create exactly `key`, of an allowed size and an image type."""
        conditions: list[Any] = [
            ["content-length-range", MIN_UPLOAD_BYTES, MAX_UPLOAD_BYTES],
            ["starts-with", "$Content-Type", "image/"],
        ]
        fields = {"Content-Type": content_type} if content_type else {}
        post = await self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields or None,
            Conditions=conditions,
            ExpiresIn=UPLOAD_EXPIRY_SECONDS,
        )
        return PresignedUpload(post["url"], dict(post["fields"]), UPLOAD_EXPIRY_SECONDS)

    async def url(self, key: str) -> str:
        url: str = await self._s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self._bucket, "Key": key},
            ExpiresIn=DOWNLOAD_EXPIRY_SECONDS,
        )
        return url

    async def download(self, key: str, max_bytes: int) -> StoredObject | None:
        """The object's bytes; None if it does not exist; `ObjectTooLarge` past `max_bytes`
        (read no further than that, whatever the object claims)."""
        try:
            response = await self._s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        async with response["Body"] as body:
            size = int(response.get("ContentLength", 0))
            if size > max_bytes:
                raise ObjectTooLarge(size)
            data: bytes = await body.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ObjectTooLarge(len(data))
        etag = response.get("ETag")
        return StoredObject(data, etag.strip('"') if isinstance(etag, str) else None)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl="public, max-age=31536000, immutable",
        )
