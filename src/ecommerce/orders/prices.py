"""The orders service's read model of the catalog's prices: what placement prices from.

It lives in the orders database (`product_prices`) and the orders worker keeps it current
(`ecommerce.orders.price_feed`): from the catalog's `ProductChanged` events, applied in
`changed_at` order per product, and from a full resync of the catalog's product list on a
timer, which repairs an event lost between the catalog's write and its publish.

Each orders frontend holds the whole model in memory (`PriceBook`), refreshed every second
from the rows changed since, so placing an order asks no other service and reads no row: a
customer never chooses a price, and a slow catalog never slows a placement. The price is the
catalog's as of shortly before: about a second after an event is published, and at most one
resync period (`PRICE_RESYNC_SECONDS`, 300 s) plus a second if the event was lost.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from ecommerce.events import Money
from ecommerce.platform.logging import get_logger

log = get_logger("orders.prices")

READ_MODEL = "product_prices"
REFRESH_SECONDS = 1.0
# A product the book lacks makes it read the rows changed since (at most once in this many
# seconds): a product created a moment ago can be ordered as soon as its event is applied, and
# a flood of unknown ids costs at most 20 small queries a second.
CATCH_UP_SECONDS = 0.05
OVERLAP = timedelta(seconds=5)
"""Rows are re-read this far back: a transaction may commit after a later one was read."""

_APPLY = """
INSERT INTO product_prices AS p (product_id, amount, currency, deleted, changed_at, synced_at)
VALUES ($1, $2, $3, $4, $5, clock_timestamp())
ON CONFLICT (product_id) DO UPDATE SET
    amount = EXCLUDED.amount,
    currency = EXCLUDED.currency,
    deleted = EXCLUDED.deleted,
    changed_at = EXCLUDED.changed_at,
    synced_at = CASE
        WHEN (p.amount, p.currency, p.deleted)
            IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.currency, EXCLUDED.deleted)
        THEN clock_timestamp() ELSE p.synced_at END
WHERE p.changed_at <= EXCLUDED.changed_at
"""


@dataclass(frozen=True)
class PriceChange:
    product_id: str
    price: Money | None
    """None: the product is deleted."""
    changed_at: datetime


class PriceStore:
    """The `product_prices` table; all of its SQL."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def apply(self, changes: Iterable[PriceChange]) -> None:
        """Record the changes; one older than what is recorded for its product is ignored."""
        await self._pool.executemany(_APPLY, [_row(change) for change in changes])

    async def resync(self, listed: Mapping[str, Money], as_of: datetime) -> int:
        """Make the model equal the catalog's list read at `as_of`: record every listed price,
        and delete what the list lacks unless it changed after `as_of`. How many it deleted."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.executemany(
                _APPLY,
                [_row(PriceChange(pid, price, as_of)) for pid, price in listed.items()],
            )
            status = await connection.execute(
                "UPDATE product_prices SET deleted = true, changed_at = $2,"
                " synced_at = clock_timestamp()"
                " WHERE NOT deleted AND changed_at < $2 AND NOT (product_id = any($1::text[]))",
                list(listed),
                as_of,
            )
            await connection.execute(
                "INSERT INTO read_model_syncs (name, synced_at) VALUES ($1, clock_timestamp())"
                " ON CONFLICT (name) DO UPDATE SET synced_at = EXCLUDED.synced_at",
                READ_MODEL,
            )
        return int(status.split()[-1])

    async def changed_since(
        self, since: datetime | None
    ) -> tuple[dict[str, Money | None], datetime | None]:
        """Prices (None: deleted) of the rows changed after `since` (all when None), and the
        latest change time among them."""
        if since is None:
            rows = await self._pool.fetch(
                "SELECT product_id, amount, currency, deleted, synced_at FROM product_prices"
            )
        else:
            rows = await self._pool.fetch(
                "SELECT product_id, amount, currency, deleted, synced_at FROM product_prices"
                " WHERE synced_at > $1",
                since,
            )
        prices: dict[str, Money | None] = {
            r["product_id"]: None
            if r["deleted"]
            else Money(amount=r["amount"], currency=r["currency"].strip())
            for r in rows
        }
        return prices, max((r["synced_at"] for r in rows), default=None)

    async def last_resync(self) -> datetime | None:
        found: datetime | None = await self._pool.fetchval(
            "SELECT synced_at FROM read_model_syncs WHERE name = $1", READ_MODEL
        )
        return found


class PricesNotLoaded(Exception):
    """The read model has never been resynced: placement cannot price yet."""


class PriceBook:
    """The whole read model in memory, refreshed every second; what a frontend prices from."""

    def __init__(self, store: PriceStore, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._prices: dict[str, Money] = {}
        self._seen: datetime | None = None
        self._resynced: datetime | None = None
        self._lock = asyncio.Lock()
        self._refreshed_at = -math.inf
        self._caught_up_at = -math.inf

    def prices(self, product_ids: Iterable[str]) -> dict[str, Money | None]:
        return {product_id: self._prices.get(product_id) for product_id in product_ids}

    async def current(self, product_ids: Iterable[str]) -> dict[str, Money | None]:
        """The prices, after reading what changed since the last refresh if one is missing
        (a product created a moment ago); None for a product still unknown after that."""
        wanted = list(product_ids)
        found = self.prices(wanted)
        if None in found.values():
            await self._catch_up(time.monotonic())
            found = self.prices(wanted)
        return found

    async def _catch_up(self, asked: float) -> None:
        async with self._lock:
            if self._refreshed_at >= asked or asked - self._caught_up_at < CATCH_UP_SECONDS:
                return  # refreshed since it was asked, or caught up a moment before
            self._caught_up_at = asked
            await self._refresh()

    def __len__(self) -> int:
        return len(self._prices)

    async def refresh(self) -> None:
        async with self._lock:
            await self._refresh()

    async def _refresh(self) -> None:
        self._refreshed_at = time.monotonic()
        since = self._seen - OVERLAP if self._seen is not None else None
        changed, latest = await self._store.changed_since(since)
        for product_id, price in changed.items():
            if price is None:
                self._prices.pop(product_id, None)
            else:
                self._prices[product_id] = price
        if latest is not None and (self._seen is None or latest > self._seen):
            self._seen = latest
        if self._resynced is None:
            self._resynced = await self._store.last_resync()

    async def ready(self) -> None:
        """A readiness check: raises until the model has been resynced once."""
        if self._resynced is None:
            await self.refresh()
        if self._resynced is None:
            raise PricesNotLoaded("the read model of prices has not been synced yet")

    async def keep_fresh(self) -> None:
        """Refresh every `refresh_seconds` until cancelled; a failed refresh keeps the book."""
        while True:
            await asyncio.sleep(self._refresh_seconds)
            try:
                await self.refresh()
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("prices_refresh_failed", error=repr(error))


def _row(change: PriceChange) -> tuple[object, ...]:
    price = change.price
    return (
        change.product_id,
        price.amount if price else None,
        price.currency if price else None,
        price is None,
        change.changed_at,
    )
