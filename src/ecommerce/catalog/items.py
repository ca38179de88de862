"""How a product is laid out as a DynamoDB item of the `products` table.

`pk = PRODUCT#<id>`; price as `price_amount` (minor units) and `currency`; `stock` a number the
inventory worker changes in place; `category` the hash key of the `by-category` index. Images
are the map `images`, one entry per upload id (see `ecommerce.catalog.images`).

A deleted product stays as a tombstone, so that reservations of orders in flight can still be
committed or released against it: it has `deleted_at`, stock 0 (nothing more can be reserved)
and no `category` (so it leaves the index). Readers treat it as absent.

No DynamoDB calls here: those are in `store` and `image_records`.
"""

from __future__ import annotations

from typing import Any

from ecommerce.catalog.domain import UNCATEGORIZED, Money, Product
from ecommerce.catalog.images import ImageFacts, ImageStatus, ProductImage
from ecommerce.platform.logging import get_logger

Item = dict[str, Any]

log = get_logger("catalog")

PRODUCT_PREFIX = "PRODUCT#"
DELETED = "deleted_at"
IMAGES = "images"


def product_key(product_id: str) -> str:
    return f"{PRODUCT_PREFIX}{product_id}"


def to_item(product: Product) -> Item:
    return {
        "pk": {"S": product_key(product.id)},
        "id": {"S": product.id},
        "name": {"S": product.name},
        "description": {"S": product.description},
        "category": {"S": product.category},
        "price_amount": {"N": str(product.price.amount)},
        "currency": {"S": product.price.currency},
        "stock": {"N": str(product.stock)},
        "created_at": {"S": product.created_at},
        "updated_at": {"S": product.updated_at},
        IMAGES: {"M": {image.upload_id: image_value(image) for image in product.images}},
    }


def is_deleted(item: Item) -> bool:
    return DELETED in item


def from_item(item: Item) -> Product:
    """The product an item holds. Attributes it does not know are ignored; descriptive ones
    that are missing get defaults; id, name, price and stock must be there."""

    def text(name: str, default: str) -> str:
        value: str = item.get(name, {}).get("S", default)
        return value

    created_at = text("created_at", "")
    return Product(
        id=item["id"]["S"],
        name=item["name"]["S"],
        description=text("description", ""),
        category=text("category", UNCATEGORIZED),
        price=Money(int(item["price_amount"]["N"]), item["currency"]["S"]),
        stock=int(item["stock"]["N"]),
        created_at=created_at,
        updated_at=text("updated_at", created_at),
        images=images_of(item),
    )


def readable(items: list[Item]) -> list[Product]:
    """The products among `items`; one malformed item is logged and skipped, not fatal."""
    products = []
    for item in items:
        try:
            products.append(from_item(item))
        except (KeyError, ValueError) as error:
            log.warning("product_unreadable", pk=item.get("pk", {}).get("S"), error=repr(error))
    return products


def image_value(image: ProductImage) -> Item:
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


def images_of(item: Item) -> tuple[ProductImage, ...]:
    """The images of an item; an entry that cannot be read is logged and left out."""
    images = []
    for upload_id, value in item.get(IMAGES, {}).get("M", {}).items():
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
