"""How a product is laid out as a DynamoDB item of the `products` table.

`pk = PRODUCT#<id>`; price as `price_amount` (minor units) and `currency`; `stock` a number the
inventory worker changes in place. No DynamoDB calls here: those are in `store`.
"""

from __future__ import annotations

from ecommerce.catalog.domain import UNCATEGORIZED, Money, Product
from ecommerce.platform.logging import get_logger

Item = dict[str, dict[str, str]]

log = get_logger("catalog")

PRODUCT_PREFIX = "PRODUCT#"


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
    }


def from_item(item: Item) -> Product:
    """The product an item holds. Attributes it does not know are ignored; descriptive ones
    that are missing get defaults; id, name, price and stock must be there."""

    def text(name: str, default: str) -> str:
        return item.get(name, {}).get("S", default)

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
