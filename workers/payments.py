"""The payments worker: charges and refunds through the gateway, and applies the processor's
webhooks. `python -m workers.payments`."""

from __future__ import annotations

import asyncio

import aiohttp

from ecommerce.payments.credentials import SecretApiKey
from ecommerce.payments.gateway_client import GatewayClient
from ecommerce.payments.ledger import Ledger
from ecommerce.payments.processor_events import ProcessorEvents
from ecommerce.payments.service import Payments
from ecommerce.platform.messaging.dispatch import EventDispatcher, EventHandler
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
        handlers: dict[str, EventHandler] = {
            "InventoryReserved": payments.on_inventory_reserved,
            "OrderCancelled": payments.on_order_cancelled,
        }
        async with asyncio.TaskGroup() as group:
            group.create_task(runtime.consume("payments", EventDispatcher(handlers)))
            group.create_task(
                runtime.consume("payment-webhooks", ProcessorEvents(ledger, publisher))
            )


if __name__ == "__main__":
    run_worker("payments-worker", main)
