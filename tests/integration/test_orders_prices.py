"""The orders service's read model of prices against a real PostgreSQL: events applied in
the catalog's order whatever order they arrive in, the resync as the backstop, the book."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from ecommerce.events import Money
from ecommerce.orders.prices import PriceBook, PriceChange, PricesNotLoaded, PriceStore

pytestmark = pytest.mark.integration

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


def ids(n: int) -> list[str]:
    return [f"p-{uuid.uuid4().hex[:8]}" for _ in range(n)]


async def test_changes_apply_in_the_catalogs_order_whatever_order_they_arrive(
    pool: asyncpg.Pool,
) -> None:
    store = PriceStore(pool)
    (product,) = ids(1)
    at = [T0 + timedelta(seconds=n) for n in range(3)]
    # Sent 10, 20, 10 again; delivered 10, the second 10, then the 20 late.
    await store.apply([PriceChange(product, usd(10), at[0])])
    await store.apply([PriceChange(product, usd(10), at[2])])
    await store.apply([PriceChange(product, usd(20), at[1])])
    book = PriceBook(store)
    await book.refresh()
    assert book.prices([product]) == {product: usd(10)}
    await store.apply([PriceChange(product, None, at[2] + timedelta(seconds=1))])
    await book.refresh()
    assert book.prices([product]) == {product: None}


async def test_the_resync_repairs_lost_events_and_deletes_what_the_catalog_lacks(
    pool: asyncpg.Pool,
) -> None:
    store = PriceStore(pool)
    kept, gone, missed, newer = ids(4)
    await store.apply(
        [
            PriceChange(kept, usd(1), T0),
            PriceChange(gone, usd(2), T0),
            PriceChange(newer, usd(4), T0 + timedelta(hours=1)),  # created after the list read
        ]
    )
    removed = await store.resync({kept: usd(11), missed: usd(3)}, T0 + timedelta(minutes=1))
    assert removed >= 1
    book = PriceBook(store)
    await book.refresh()
    assert book.prices([kept, gone, missed, newer]) == {
        kept: usd(11),
        gone: None,
        missed: usd(3),
        newer: usd(4),
    }
    await book.ready()


async def test_the_book_is_not_ready_before_the_first_resync(database_url: str) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f"CREATE SCHEMA {name}")
        pool = await asyncpg.create_pool(
            database_url, min_size=1, max_size=2, server_settings={"search_path": name}
        )
        try:
            async with pool.acquire() as connection:
                await connection.execute(
                    "CREATE TABLE read_model_syncs (name text PRIMARY KEY,"
                    " synced_at timestamptz NOT NULL);"
                    "CREATE TABLE product_prices (LIKE public.product_prices INCLUDING ALL)"
                )
            book = PriceBook(PriceStore(pool))
            with pytest.raises(PricesNotLoaded):
                await book.ready()
            await PriceStore(pool).resync({}, T0)
            await book.ready()
        finally:
            await pool.close()
    finally:
        await admin.execute(f"DROP SCHEMA {name} CASCADE")
        await admin.close()


class CountingStore(PriceStore):
    """The store, counting the reads of changed rows."""

    reads = 0

    async def changed_since(
        self, since: datetime | None
    ) -> tuple[dict[str, Money | None], datetime | None]:
        self.reads += 1
        return await super().changed_since(since)


async def test_a_product_created_after_the_last_refresh_is_priced_at_once(
    pool: asyncpg.Pool,
) -> None:
    store = CountingStore(pool)
    known, created, unknown = ids(3)
    await store.apply([PriceChange(known, usd(5), datetime.now(UTC))])
    book = PriceBook(store, refresh_seconds=3600)
    await book.refresh()
    await store.apply([PriceChange(created, usd(7), datetime.now(UTC))])
    reads = store.reads

    # Known products are priced from memory; the new one makes the book catch up once.
    assert await book.current([known]) == {known: usd(5)}
    assert store.reads == reads
    assert await book.current([known, created]) == {known: usd(5), created: usd(7)}
    assert store.reads == reads + 1

    # Unknown ids asked for together cost one read between them, not one each.
    results = await asyncio.gather(*(book.current([unknown]) for _ in range(20)))
    assert results == [{unknown: None}] * 20
    assert store.reads <= reads + 2
