"""The demo catalog, written at start-up of the local stack. Safe to run again: it only adds
products that are absent, so stock taken by orders is never reset."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from ecommerce.catalog.products.demo_products import DEMO_PRODUCTS
from ecommerce.catalog.products.product import CURRENCY, Money, Product
from ecommerce.catalog.products.product_store import ProductStore
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical


def demo_catalog(now: datetime) -> list[Product]:
    stamp = now.isoformat(timespec="seconds")
    return [
        Product(
            id=product_id,
            name=name,
            description=description,
            category=category,
            price=Money(amount, CURRENCY),
            stock=stock,
            created_at=stamp,
            updated_at=stamp,
        )
        for product_id, name, description, category, amount, stock in DEMO_PRODUCTS
    ]


async def seed_demo_catalog(clients: AwsClients) -> int:
    """Add each demo product that is absent; how many it added."""
    store = ProductStore(await clients.client("dynamodb"), physical("products"))
    added = await asyncio.gather(*map(store.add_if_absent, demo_catalog(datetime.now(UTC))))
    return sum(added)
