"""The orders worker: applies saga events to orders, and keeps the read model of the catalog's
prices current. `python -m workers.orders`."""

from __future__ import annotations

import asyncio
from functools import partial

import aiohttp

from ecommerce.events import (
    InventoryRejected,
    InventoryReserved,
    PaymentActionRequired,
    PaymentFailed,
    PaymentSucceeded,
    ProductChanged,
)
from ecommerce.orders.price_feed import PriceFeed
from ecommerce.orders.prices import PriceStore
from ecommerce.orders.repository import OrderRepository
from ecommerce.orders.service import apply_event, expire_waiting_orders
from ecommerce.orders.store import OrderStore, no_session_reset
from ecommerce.platform.database import create_pool
from ecommerce.platform.messaging.dispatch import EventDispatcher
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker

RESYNC_RETRY_SECONDS = 5.0


async def main(runtime: WorkerRuntime) -> None:
    settings = runtime.settings
    pool = await create_pool(
        settings, runtime.clients, min_size=1, max_size=10, reset=no_session_reset
    )
    try:
        async with aiohttp.ClientSession() as session:
            feed = PriceFeed(PriceStore(pool), session, settings.catalog_url)
            runtime.every(
                settings.price_resync_seconds,
                feed.resync,
                "price_resync",
                first_after=0.0,
                retry_after=RESYNC_RETRY_SECONDS,
            )
            store = OrderStore(pool)
            runtime.every(
                settings.payment_expiry_sweep_seconds,
                partial(expire_waiting_orders, store, settings.payment_action_expiry),
                "payment_expiry_sweep",
            )
            await runtime.consume("orders", dispatcher(store, feed))
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


def dispatcher(orders: OrderRepository, prices: PriceFeed) -> EventDispatcher:
    """What the orders queue's events go to (exactly its subscriptions in resources.py): the
    saga's outcomes to the orders, the catalog's changes to the read model of prices."""
    saga = partial(apply_event, orders)
    return (
        EventDispatcher()
        .on(InventoryReserved, saga)
        .on(InventoryRejected, saga)
        .on(PaymentActionRequired, saga)
        .on(PaymentSucceeded, saga)
        .on(PaymentFailed, saga)
        .on(ProductChanged, prices.on_product_changed)
    )


if __name__ == "__main__":
    run_worker("orders-worker", main)
