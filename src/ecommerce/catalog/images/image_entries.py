"""One upload as an entry of a product item's `images` map (keyed by upload id), as DynamoDB
attribute values. No DynamoDB calls here: the images worker writes entries in `image_records`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecommerce.catalog.images.product_image import ImageFacts, ImageStatus, ProductImage
from ecommerce.platform.logging import get_logger

Item = dict[str, Any]

log = get_logger("catalog")


def image_entry(image: ProductImage) -> Item:
    """One entry of the `images` map, as an attribute value."""
    entry: Item = {
        "key": {"S": image.key},
        "status": {"S": image.status.value},
        "uploaded_at": {"S": image.uploaded_at},
        "thumbnails": {"M": {str(size): {"S": key} for size, key in image.thumbnails}},
    }
    if image.facts is not None:
        entry["format"] = {"S": image.facts.format}
        entry["width"] = {"N": str(image.facts.width)}
        entry["height"] = {"N": str(image.facts.height)}
    if image.reason is not None:
        entry["reason"] = {"S": image.reason}
    if image.etag is not None:
        entry["etag"] = {"S": image.etag}
    return {"M": entry}


def images_of(images_map: Mapping[str, Any] | None) -> tuple[ProductImage, ...]:
    """The images of a product item's `images` map attribute (absent on products written
    before images existed); an entry that cannot be read is logged and left out."""
    images = []
    for upload_id, value in (images_map or {}).get("M", {}).items():
        try:
            images.append(_image(upload_id, value["M"]))
        except (KeyError, ValueError, TypeError) as error:
            log.warning("image_unreadable", upload_id=upload_id, error=repr(error))
    return tuple(images)


def _image(upload_id: str, entry: Item) -> ProductImage:
    thumbnails = sorted(
        (int(size), value["S"]) for size, value in entry.get("thumbnails", {}).get("M", {}).items()
    )
    facts = None
    if "format" in entry:
        facts = ImageFacts(
            entry["format"]["S"], int(entry["width"]["N"]), int(entry["height"]["N"])
        )
    return ProductImage(
        upload_id=upload_id,
        key=entry["key"]["S"],
        status=ImageStatus(entry["status"]["S"]),
        uploaded_at=entry.get("uploaded_at", {}).get("S", ""),
        thumbnails=tuple(thumbnails),
        facts=facts,
        reason=entry.get("reason", {}).get("S"),
        etag=entry.get("etag", {}).get("S"),
    )
