"""The payments worker: charges and refunds through the gateway, and applies the processor's
webhooks. `python -m workers.payments`."""

from __future__ import annotations

import asyncio

import aiohttp

from ecommerce.events import InventoryReserved, OrderCancelled
from ecommerce.payments.credentials import SecretApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.ledger import Ledger
from ecommerce.payments.processor_events import ProcessorEvents
from ecommerce.payments.service import Payments
from ecommerce.platform.messaging.dispatch import EventDispatcher
from ecommerce.platform.messaging.publisher import EventPublisher
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker
from ecommerce.platform.tracing import client_trace_configs
from ecommerce.resources import RESOURCES


async def main(runtime: WorkerRuntime) -> None:
    settings = runtime.settings
    dynamodb = await runtime.clients.client("dynamodb")
    sns = await runtime.clients.client("sns")
    secrets = await runtime.clients.client("secretsmanager")
    api_key = SecretApiKey(secrets, settings.payment_gateway_key_secret)
    ledger = Ledger(dynamodb, lease_seconds=RESOURCES.queue("payments").visibility_timeout)
    publisher = EventPublisher(sns, settings.topic_arn)
    async with aiohttp.ClientSession(trace_configs=client_trace_configs()) as session:
        payments = Payments(
            ledger, GatewayClient(session, settings.payment_gateway_url, api_key), publisher
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(runtime.consume("payments", dispatcher(payments)))
            # The processor's own events (verified by the webhooks frontend), not envelopes.
            group.create_task(
                runtime.consume("payment-webhooks", ProcessorEvents(ledger, publisher))
            )


def dispatcher(payments: Payments) -> EventDispatcher:
    """What the payments queue's events go to (exactly its subscriptions in resources.py)."""
    return (
        EventDispatcher()
        .on(InventoryReserved, payments.on_inventory_reserved)
        .on(OrderCancelled, payments.on_order_cancelled)
    )


if __name__ == "__main__":
    run_worker("payments-worker", main)
