"""The orders worker: applies saga events to orders. `python -m workers.orders`."""

from __future__ import annotations

import asyncio
from functools import partial

from ecommerce.orders.service import apply_event
from ecommerce.orders.store import OrderStore
from ecommerce.platform.database import create_pool
from ecommerce.platform.messaging.dispatch import EventDispatcher
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker

EVENTS = ("InventoryReserved", "InventoryRejected", "PaymentSucceeded", "PaymentFailed")


async def main(runtime: WorkerRuntime) -> None:
    pool = await create_pool(runtime.settings, runtime.clients, min_size=1, max_size=10)
    try:
        handle = partial(apply_event, OrderStore(pool))
        await runtime.consume("orders", EventDispatcher(dict.fromkeys(EVENTS, handle)))
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


if __name__ == "__main__":
    run_worker("orders-worker", main)
