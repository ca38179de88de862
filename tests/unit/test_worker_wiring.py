"""Each worker handles exactly the events its queue is subscribed to in `resources.py`, and a
dispatcher that does not is refused with the difference named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from ecommerce.catalog.inventory.use_cases import Inventory
from ecommerce.events import Envelope, OrderPlaced, PaymentFailed
from ecommerce.orders.price_feed import PriceFeed
from ecommerce.orders.store import OrderStore
from ecommerce.payments.service import Payments
from ecommerce.platform.messaging.dispatch import EventDispatcher, WiringError
from ecommerce.resources import RESOURCES
from workers import inventory, orders, payments

NOTHING = cast(Any, None)  # the services are built, never called: no I/O here

WORKERS: dict[str, Callable[[], EventDispatcher]] = {
    "inventory": lambda: inventory.dispatcher(Inventory(NOTHING, NOTHING)),
    "orders": lambda: orders.dispatcher(OrderStore(NOTHING), PriceFeed(NOTHING, NOTHING, "")),
    "payments": lambda: payments.dispatcher(Payments(NOTHING, NOTHING, NOTHING)),
}


async def ignore(_: Envelope, __: Any) -> None:
    return None


@pytest.mark.parametrize("queue", sorted(WORKERS))
def test_each_worker_handles_exactly_its_subscriptions(queue: str) -> None:
    WORKERS[queue]().check_wiring(queue)


def test_every_queue_the_topic_feeds_has_a_worker() -> None:
    fed = {queue.name for queue in RESOURCES.queues if queue.event_types}
    assert fed == set(WORKERS)


def test_a_missing_or_extra_handler_is_named() -> None:
    dispatcher = inventory.dispatcher(Inventory(NOTHING, NOTHING))
    dispatcher.on(PaymentFailed, ignore)
    with pytest.raises(WiringError, match="handled but not subscribed: PaymentFailed"):
        dispatcher.check_wiring("inventory")
    with pytest.raises(WiringError, match=r"subscribed but not handled: .*OrderCancelled"):
        EventDispatcher().on(OrderPlaced, ignore).check_wiring("inventory")


def test_only_the_catalogs_events_and_one_handler_each() -> None:
    class Lookalike(OrderPlaced):
        pass

    with pytest.raises(WiringError, match="not an event of the catalog"):
        EventDispatcher().on(Lookalike, ignore)
    with pytest.raises(WiringError, match="two handlers"):
        EventDispatcher().on(OrderPlaced, ignore).on(OrderPlaced, ignore)
