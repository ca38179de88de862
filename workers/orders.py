"""The orders worker: applies saga events to orders, and keeps the read model of the catalog's
prices current. `python -m workers.orders`."""

from __future__ import annotations

import asyncio
from functools import partial

import aiohttp

from ecommerce.orders.price_feed import PriceFeed
from ecommerce.orders.prices import PriceStore
from ecommerce.orders.service import apply_event, expire_waiting_orders
from ecommerce.orders.store import OrderStore, no_session_reset
from ecommerce.platform.database import create_pool
from ecommerce.platform.messaging.dispatch import EventDispatcher, EventHandler
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker

SAGA_EVENTS = (
    "InventoryReserved",
    "InventoryRejected",
    "PaymentActionRequired",
    "PaymentSucceeded",
    "PaymentFailed",
)
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
            handlers: dict[str, EventHandler] = dict.fromkeys(
                SAGA_EVENTS, partial(apply_event, store)
            )
            handlers["ProductChanged"] = feed.on_product_changed
            await runtime.consume("orders", EventDispatcher(handlers))
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


if __name__ == "__main__":
    run_worker("orders-worker", main)
