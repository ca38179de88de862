"""The services' own database user (IAM sign-in on RDS): the migrations make it, and it may
read and write the orders tables, those added later included, and change nothing else."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from test_orders_store import new_order

from ecommerce.events import OrderConfirmed, new_event
from ecommerce.orders.migrations import apply_migrations
from ecommerce.orders.schemas import order_document
from ecommerce.orders.store import OrderStore, outgoing

pytestmark = pytest.mark.integration


def as_user(dsn: str, user: str) -> str:
    url = urlsplit(dsn)
    host = url.netloc.rsplit("@", 1)[-1]
    return urlunsplit(url._replace(netloc=f"{user}@{host}"))


async def test_the_app_user_uses_the_tables_and_owns_nothing(database_url: str) -> None:
    user = f"orders_app_{uuid.uuid4().hex[:8]}"
    await apply_migrations(database_url, app_user=user)
    await apply_migrations(database_url, app_user=user)  # a second deploy: nothing to redo
    master = await asyncpg.connect(database_url)
    try:
        pool = await asyncpg.create_pool(as_user(database_url, user), min_size=1, max_size=2)
        try:
            assert await pool.fetchval("SELECT current_user") == user
            store = OrderStore(pool)
            order = new_order(f"c-{uuid.uuid4()}")
            event = new_event(
                OrderConfirmed(order_id=order.id), producer="t", correlation_id=order.id
            )
            await store.place(
                order,
                key="k",
                fingerprint="f",
                response=order_document(order),
                events=outgoing([event], None),
            )
            assert (await store.get(order.id)) is not None
            # A table a later migration adds is the app user's to use as well.
            await master.execute("CREATE TABLE later_table (id bigserial PRIMARY KEY, note text)")
            await pool.execute("INSERT INTO later_table (note) VALUES ('written by the app')")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await pool.execute("DROP TABLE orders")
        finally:
            await pool.close()
    finally:
        await master.execute("DROP TABLE IF EXISTS later_table")
        await master.execute(f'DROP OWNED BY "{user}"')
        await master.execute(f'DROP ROLE "{user}"')
        await master.close()
