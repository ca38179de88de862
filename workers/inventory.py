"""The inventory worker: reserves, commits and releases stock. `python -m workers.inventory`."""

from __future__ import annotations

from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.catalog.inventory.use_cases import Inventory
from ecommerce.events import OrderCancelled, OrderConfirmed, OrderPlaced
from ecommerce.platform.messaging.dispatch import EventDispatcher
from ecommerce.platform.messaging.publisher import EventPublisher
from ecommerce.platform.messaging.worker import WorkerRuntime, run_worker


async def main(runtime: WorkerRuntime) -> None:
    settings = runtime.settings
    dynamodb = await runtime.clients.client("dynamodb")
    sns = await runtime.clients.client("sns")
    reservations = ReservationStore(
        dynamodb, retention_seconds=settings.reservation_retention_seconds
    )
    if settings.reservation_sweep_seconds > 0:
        runtime.every(settings.reservation_sweep_seconds, reservations.sweep, "reservation_sweep")
    inventory = Inventory(reservations, EventPublisher(sns, settings.topic_arn))
    await runtime.consume("inventory", dispatcher(inventory))


def dispatcher(inventory: Inventory) -> EventDispatcher:
    """What the inventory queue's events go to (exactly its subscriptions in resources.py)."""
    return (
        EventDispatcher()
        .on(OrderPlaced, inventory.on_order_placed)
        .on(OrderConfirmed, inventory.on_order_confirmed)
        .on(OrderCancelled, inventory.on_order_cancelled)
    )


if __name__ == "__main__":
    run_worker("inventory-worker", main)
