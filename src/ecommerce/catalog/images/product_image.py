"""Product images without I/O: what an upload is, where its objects live, and its record.

An admin asks for an upload (`POST /products/{id}/images`) and gets a presigned S3 POST for the
key `uploads/<product_id>/<upload_id>`. The bucket notifies the `images` queue of every object
under `uploads/`; the images worker checks the object and writes its thumbnails under
`thumbnails/<product_id>/<upload_id>-<size>.webp`, which is outside the notified prefix, so
they never come back as uploads. Each upload is one entry of the product's `images`, keyed by
its upload id: processing the same object again rewrites the same entry and the same keys.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

UPLOAD_PREFIX = "uploads/"
"""Must be the `prefix` of the product-images notification in `ecommerce.resources`."""
THUMBNAIL_PREFIX = "thumbnails/"

CONTENT_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
"""The upload types an admin may use, and Pillow's name of each format."""
FORMATS = frozenset(CONTENT_TYPES.values())

MIN_UPLOAD_BYTES = 1
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
"""Width x height above which an image is refused before it is decoded (below Pillow's own
decompression-bomb limit, so that limit is never what stops us)."""
THUMBNAIL_SIZES = (128, 512)
"""Longest side of each thumbnail, in pixels; a thumbnail is never larger than its image."""
THUMBNAIL_CONTENT_TYPE = "image/webp"
MAX_IMAGES_PER_PRODUCT = 10
"""Ready or processing ones."""
MAX_UPLOADS_PER_PRODUCT = 30
"""Every entry, rejected ones included: they stay (with their reason) until deleted."""

_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
_PRODUCT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class ImageStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ImageFacts:
    """What checking an upload found out about it."""

    format: str
    width: int
    height: int


@dataclass(frozen=True)
class ProductImage:
    upload_id: str
    key: str
    status: ImageStatus
    uploaded_at: str
    """ISO 8601, UTC: when S3 created the object."""
    thumbnails: tuple[tuple[int, str], ...] = ()
    """(longest side, object key), smallest first; only when ready."""
    facts: ImageFacts | None = None
    reason: str | None = None
    """Why it was rejected."""
    etag: str | None = None
    """Of the object version it was made from: a new upload to the same key is a new image."""

    @property
    def is_ready(self) -> bool:
        return self.status is ImageStatus.READY


def new_upload_id() -> str:
    return uuid.uuid4().hex


def is_upload_id(value: str) -> bool:
    return _UPLOAD_ID.fullmatch(value) is not None


def upload_key(product_id: str, upload_id: str) -> str:
    return f"{UPLOAD_PREFIX}{product_id}/{upload_id}"


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """(product id, upload id) of an upload key; None for any other key."""
    if not key.startswith(UPLOAD_PREFIX):
        return None
    parts = key[len(UPLOAD_PREFIX) :].split("/")
    if len(parts) != 2:
        return None
    product_id, upload_id = parts
    if not _PRODUCT_ID.fullmatch(product_id) or not is_upload_id(upload_id):
        return None
    return product_id, upload_id


def thumbnail_key(product_id: str, upload_id: str, size: int) -> str:
    return f"{THUMBNAIL_PREFIX}{product_id}/{upload_id}-{size}.webp"


def ready_images(images: Iterable[ProductImage]) -> list[ProductImage]:
    """The images a shopper sees, oldest upload first (the first is the product's main one)."""
    return sorted((i for i in images if i.is_ready), key=lambda i: (i.uploaded_at, i.upload_id))


def all_images(images: Iterable[ProductImage]) -> list[ProductImage]:
    return sorted(images, key=lambda i: (i.uploaded_at, i.upload_id))
