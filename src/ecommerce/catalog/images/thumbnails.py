"""Checking an upload and making its thumbnails, with Pillow. CPU only, no I/O.

These functions block for as long as decoding takes: call them off the event loop
(`asyncio.to_thread`). Every failure to read the bytes as an allowed image is a
`RejectedImage`; the caller records it and never retries it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

from PIL import Image, ImageOps

from ecommerce.catalog.images.product_image import (
    FORMATS,
    MAX_PIXELS,
    MAX_UPLOAD_BYTES,
    MIN_UPLOAD_BYTES,
    THUMBNAIL_SIZES,
    ImageFacts,
)

WEBP_QUALITY = 80


class RejectedImage(ValueError):
    """The upload is not an image we accept; the message says why, for the admin."""


@dataclass(frozen=True)
class Thumbnails:
    facts: ImageFacts
    by_size: dict[int, bytes]
    """Longest side => WEBP bytes."""


def check_size(size: int) -> None:
    if size < MIN_UPLOAD_BYTES:
        raise RejectedImage("the upload is empty")
    if size > MAX_UPLOAD_BYTES:
        raise RejectedImage(f"the upload is {size} bytes, more than {MAX_UPLOAD_BYTES}")


def inspect_image(data: bytes) -> ImageFacts:
    """The format and size of `data` if it is a whole JPEG, PNG or WEBP image we accept."""
    check_size(len(data))
    try:
        with Image.open(io.BytesIO(data)) as image:
            facts = _facts(image)
            image.verify()
    except RejectedImage:
        raise
    except Exception as error:  # Pillow raises many types for bytes it cannot read
        raise RejectedImage(f"not a readable image ({type(error).__name__}: {error})") from error
    return facts


def make_thumbnails(data: bytes, sizes: Iterable[int] = THUMBNAIL_SIZES) -> Thumbnails:
    """Check `data` (as `inspect_image`), then decode it and make one WEBP per size."""
    facts = inspect_image(data)
    wanted = sorted(set(sizes))
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.draft("RGB", (wanted[-1], wanted[-1]))  # JPEG: decode at a smaller scale
            opened.load()
            upright = ImageOps.exif_transpose(opened)
            by_size = {size: _thumbnail(upright, size) for size in wanted}
    except Exception as error:  # a file that verifies can still fail to decode (truncated)
        raise RejectedImage(f"the image cannot be decoded ({type(error).__name__})") from error
    return Thumbnails(facts, by_size)


def _facts(image: Image.Image) -> ImageFacts:
    if image.format not in FORMATS:
        allowed = ", ".join(sorted(FORMATS))
        raise RejectedImage(f"a {image.format or 'unknown'} image; allowed: {allowed}")
    width, height = image.size
    if width < 1 or height < 1:
        raise RejectedImage("the image has no pixels")
    if width * height > MAX_PIXELS:
        raise RejectedImage(f"the image is {width}x{height}, more than {MAX_PIXELS} pixels")
    return ImageFacts(image.format, width, height)


def _thumbnail(image: Image.Image, size: int) -> bytes:
    copy = image.convert("RGBA" if _has_alpha(image) else "RGB")
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
