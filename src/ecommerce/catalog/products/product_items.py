"""How a product is laid out as a DynamoDB item of the `products` table.

`pk = PRODUCT#<id>`; price as `price_amount` (minor units) and `currency`; `stock` a number the
inventory worker changes in place; `category` the hash key of the `by-category` index. Images
are the map `images`, one entry per upload id (entries in `images.image_entries`).

A deleted product stays as a tombstone, so that reservations of orders in flight can still be
committed or released against it: it has `deleted_at`, stock 0 (nothing more can be reserved)
and no `category` (so it leaves the index). Readers treat it as absent.

No DynamoDB calls here: those are in `product_store` and `images.image_records`.
"""

from __future__ import annotations

from typing import Any

from ecommerce.catalog.images.image_entries import image_entry, images_of
from ecommerce.catalog.products.product import UNCATEGORIZED, Money, Product
from ecommerce.platform.dynamodb import text_of
from ecommerce.platform.logging import get_logger

Item = dict[str, Any]

log = get_logger("catalog")

PRODUCT_PREFIX = "PRODUCT#"
DELETED = "deleted_at"
IMAGES = "images"
LIVE = f"attribute_exists(pk) AND attribute_not_exists({DELETED})"
"""The condition of a write to a product that exists and is not deleted."""


def product_pk(product_id: str) -> str:
    """The partition key value of a product's item: `PRODUCT#<id>`."""
    return f"{PRODUCT_PREFIX}{product_id}"


def product_item_key(product_id: str) -> Item:
    """The `Key` of a product's item in a DynamoDB request."""
    return {"pk": {"S": product_pk(product_id)}}


def to_item(product: Product) -> Item:
    return {
        "pk": {"S": product_pk(product.id)},
        "id": {"S": product.id},
        "name": {"S": product.name},
        "description": {"S": product.description},
        "category": {"S": product.category},
        "price_amount": {"N": str(product.price.amount)},
        "currency": {"S": product.price.currency},
        "stock": {"N": str(product.stock)},
        "created_at": {"S": product.created_at},
        "updated_at": {"S": product.updated_at},
        IMAGES: {"M": {image.upload_id: image_entry(image) for image in product.images}},
    }


def is_deleted(item: Item) -> bool:
    return DELETED in item


def from_item(item: Item) -> Product:
    """The product an item holds. Attributes it does not know are ignored; descriptive ones
    that are missing get defaults; id, name, price and stock must be there."""

    created_at = text_of(item, "created_at", "")
    return Product(
        id=item["id"]["S"],
        name=item["name"]["S"],
        description=text_of(item, "description", ""),
        category=text_of(item, "category", UNCATEGORIZED),
        price=Money(int(item["price_amount"]["N"]), item["currency"]["S"]),
        stock=int(item["stock"]["N"]),
        created_at=created_at,
        updated_at=text_of(item, "updated_at", created_at),
        images=images_of(item.get(IMAGES)),
    )


def readable(items: list[Item]) -> list[Product]:
    """The products among `items`; one malformed item is logged and skipped, not fatal."""
    products = []
    for item in items:
        try:
            products.append(from_item(item))
        except (KeyError, ValueError) as error:
            log.warning("product_unreadable", pk=text_of(item, "pk"), error=repr(error))
    return products
