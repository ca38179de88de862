"""How the orders worker keeps the read model of prices (`ecommerce.orders.prices`) current.

- `on_product_changed`: the catalog's `ProductChanged` events, from the orders queue.
- `resync`: the catalog's whole product list (`GET /products`, a page at a time) on a timer.
  This is the guarantee behind the events: the catalog publishes after its write, and an event
  lost in between (a crash, SNS unavailable) is repaired by the next resync.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp

from ecommerce.events import Envelope, Money, ProductChanged
from ecommerce.orders.prices import PriceChange, PriceStore
from ecommerce.platform.logging import get_logger

log = get_logger("orders.price_feed")

PAGE = 100
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)


class CatalogUnreadable(Exception):
    """The catalog's product list could not be read; the next resync tries again."""


class PriceFeed:
    def __init__(self, store: PriceStore, session: aiohttp.ClientSession, catalog_url: str):
        self._store = store
        self._session = session
        self._catalog_url = catalog_url.rstrip("/")

    async def on_product_changed(self, _: Envelope, change: ProductChanged) -> None:
        await self._store.apply(
            [
                PriceChange(
                    change.product_id, None if change.deleted else change.price, change.changed_at
                )
            ]
        )
        log.info("price_changed", product_id=change.product_id, deleted=change.deleted)

    async def resync(self) -> str:
        as_of = datetime.now(UTC)
        listed = await self._catalog_prices()
        removed = await self._store.resync(listed, as_of)
        return f"{len(listed)} prices, {removed} removed"

    async def _catalog_prices(self) -> dict[str, Money]:
        prices: dict[str, Money] = {}
        cursor: str | None = None
        while True:
            query = {"limit": str(PAGE), **({"cursor": cursor} if cursor else {})}
            try:
                async with self._session.get(
                    f"{self._catalog_url}/products", params=query, timeout=TIMEOUT
                ) as response:
                    if response.status != 200:
                        raise CatalogUnreadable(f"GET /products answered {response.status}")
                    page = await response.json()
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                raise CatalogUnreadable(f"GET /products: {error!r}") from error
            for item in page["items"]:
                prices[item["id"]] = Money.model_validate(item["price"])
            cursor = page.get("next_cursor")
            if not cursor:
                return prices
