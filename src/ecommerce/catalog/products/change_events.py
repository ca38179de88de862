"""Tells other contexts that a product changed: `ProductChanged` on the domain-events topic.

Sent after the write to the products table succeeded. A send that fails is logged and not
retried here: the orders service resyncs its read model of prices from `GET /products` on a
timer (`ecommerce.orders.prices`), which bounds how long a lost event can matter.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ecommerce.catalog.products.product import Product
from ecommerce.events import Money, ProductChanged, new_event
from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.publisher import Publisher

log = get_logger("catalog.events")

PRODUCER = "catalog"


class ProductEvents:
    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def changed(self, product: Product) -> None:
        price = Money(amount=product.price.amount, currency=product.price.currency)
        await self._send(
            ProductChanged(
                product_id=product.id, price=price, changed_at=_instant(product.updated_at)
            )
        )

    async def deleted(self, product_id: str, at: str) -> None:
        await self._send(
            ProductChanged(product_id=product_id, deleted=True, changed_at=_instant(at))
        )

    async def _send(self, change: ProductChanged) -> None:
        event = new_event(change, producer=PRODUCER, correlation_id=change.product_id)
        try:
            await self._publisher.publish(event)
        except Exception as error:  # the resync of the readers bounds the loss
            log.warning("product_event_not_sent", product_id=change.product_id, error=repr(error))


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
