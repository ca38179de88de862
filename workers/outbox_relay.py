"""The outbox relay: publishes the orders outbox to SNS. `python -m workers.outbox_relay`."""

from __future__ import annotations

import asyncio

from ecommerce.orders.outbox_relay import OutboxRelay
from ecommerce.platform.database import create_pool
from ecommerce.platform.messaging.publisher import EventPublisher
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker


async def main(runtime: WorkerRuntime) -> None:
    pool = await create_pool(runtime.settings, runtime.clients, min_size=1, max_size=4)
    try:
        sns = await runtime.clients.client("sns")
        relay = OutboxRelay(pool, EventPublisher(sns, runtime.settings.topic_arn))
        await relay.run(runtime.stopping)
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)


if __name__ == "__main__":
    run_worker("outbox-relay", main)
