"""The orders use cases: place, read, list, and apply a saga event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel

from ecommerce.events import Envelope, Money, OrderPlaced, follow_up, new_event
from ecommerce.orders import domain
from ecommerce.orders.domain import Order
from ecommerce.orders.placement import (
    PlacementError,
    RequestedLine,
    price_order,
    request_fingerprint,
)
from ecommerce.orders.repository import OrderRepository, outgoing
from ecommerce.orders.schemas import PlaceOrderRequest, order_document
from ecommerce.platform.cursor import decode_cursor, encode_cursor
from ecommerce.platform.faults import crash_point
from ecommerce.platform.logging import get_logger
from ecommerce.platform.tracing import current_trace_header

log = get_logger("orders")

PRODUCER = "orders"


class CurrentPrices(Protocol):
    """Where an order is priced from (`PriceBook`: the read model of the catalog's prices)."""

    async def current(self, product_ids: Iterable[str]) -> dict[str, Money | None]:
        """The price of each product; None for one that is not known."""
        ...


class KeyReused(Exception):
    """The Idempotency-Key was used before with a different request body."""


@dataclass(frozen=True)
class Placed:
    response: dict[str, Any]
    replayed: bool


async def place_order(
    store: OrderRepository,
    prices: CurrentPrices,
    *,
    customer_id: str,
    key: str,
    request: PlaceOrderRequest,
    trace_header: str | None,
) -> Placed:
    """Price from the read model of prices and write the order in one round trip; a key used
    before replays the first response (or is refused if the body differs)."""
    fingerprint = request_fingerprint(request.model_dump(mode="json"))
    try:
        order = price_order(
            order_id=str(uuid.uuid4()),
            customer_id=customer_id,
            lines=[RequestedLine(line.product_id, line.quantity) for line in request.items],
            prices=await prices.current(line.product_id for line in request.items),
            payment_token=request.payment_token,
            now=datetime.now(UTC),
        )
    except PlacementError:
        # A replay of an order placed before its product went away still replays.
        earlier = await store.find_by_key(customer_id, key)
        if earlier is None:
            raise
        return _replay(earlier.fingerprint, fingerprint, earlier.response)
    placed = new_event(
        OrderPlaced(
            order_id=order.id,
            customer_id=customer_id,
            items=order.items,
            total=order.total,
            payment_token=order.payment_token,
        ),
        producer=PRODUCER,
        correlation_id=order.id,
    )
    response = order_document(order)
    earlier = await store.place(
        order,
        key=key,
        fingerprint=fingerprint,
        response=response,
        events=outgoing([placed], trace_header),
    )
    if earlier is not None:
        return _replay(earlier.fingerprint, fingerprint, earlier.response)
    log.info("order_placed", order_id=order.id, total=order.total.amount, event_id=placed.id)
    return Placed(response, replayed=False)


def _replay(stored: str, given: str, response: dict[str, Any]) -> Placed:
    if stored != given:
        raise KeyReused()
    return Placed(response, replayed=True)


async def get_order(
    store: OrderRepository, order_id: str, *, viewer_id: str, admin: bool
) -> Order | None:
    """The order if the viewer may see it; another customer's order is as good as absent."""
    order = await store.get(order_id)
    if order is None or (order.customer_id != viewer_id and not admin):
        return None
    return order


def order_cursor(order: Order) -> str:
    """Where the page after `order` starts: its creation time and id (newest first)."""
    return encode_cursor([order.created_at.isoformat(), order.id])


def order_position(position: object) -> tuple[datetime, str]:
    """The position of an orders cursor; `ValueError` for any other shape."""
    if not isinstance(position, list) or len(position) != 2:
        raise ValueError("an orders cursor holds a time and an order id")
    created_at, order_id = position
    if not isinstance(created_at, str) or not isinstance(order_id, str):
        raise ValueError("an orders cursor holds a time and an order id")
    uuid.UUID(order_id)
    at = datetime.fromisoformat(created_at)
    if at.tzinfo is None:
        raise ValueError("an orders cursor's time has a time zone")
    return at, order_id


async def list_orders(
    store: OrderRepository, customer_id: str, *, limit: int, cursor: str | None
) -> tuple[list[Order], str | None]:
    after = decode_cursor(cursor, order_position) if cursor else None
    orders = await store.list_for(customer_id, limit + 1, after)
    page = orders[:limit]
    next_cursor = order_cursor(page[-1]) if len(orders) > limit else None
    return page, next_cursor


async def cancel_order(
    store: OrderRepository, order_id: str, *, viewer_id: str, admin: bool
) -> Order | None:
    """Cancel for the customer (or an admin). Cancelling a cancelled order returns it as it is.

    The row lock serialises the cancel with the saga's own transitions, so a cancel that races
    the saga ends in one outcome; OrderCancelled then makes inventory give the stock back and
    payments refund any charge, each exactly once.
    """
    async with store.changing(order_id) as change:
        order = await change.load()
        if order is None or (order.customer_id != viewer_id and not admin):
            return None
        decision = domain.decide_cancel(order)
        if decision.changes:
            before = len(order.history)
            cause = (
                "cancelled_by_admin" if admin and order.customer_id != viewer_id else "cancelled"
            )
            domain.apply(order, decision, cause, datetime.now(UTC))
            events = [
                new_event(emitted, producer=PRODUCER, correlation_id=order.id)
                for emitted in decision.emits
            ]
            await change.save(
                order, order.history[before:], outgoing(events, current_trace_header())
            )
            log.info("order_cancelled", order_id=order.id, by_admin=admin)
    return await store.get(order_id)


EXPIRY_BATCH = 100


async def expire_waiting_orders(store: OrderRepository, expiry: timedelta) -> str:
    """Cancel (`payment_expired`) the orders whose customer has not authenticated within
    `expiry`; each under its row lock, so a webhook's settlement racing it wins or loses
    whole. OrderCancelled then gives the stock back and calls the payment off."""
    now = datetime.now(UTC)
    expired = 0
    for order_id in await store.waiting_since_before(now - expiry, EXPIRY_BATCH):
        async with store.changing(order_id) as change:
            order = await change.load()
            if order is None:
                continue
            decision = domain.decide_expiry(order, now, expiry)
            if not decision.changes:
                continue
            before = len(order.history)
            domain.apply(order, decision, "payment_expired", now)
            events = [
                new_event(emitted, producer=PRODUCER, correlation_id=order.id)
                for emitted in decision.emits
            ]
            await change.save(order, order.history[before:], outgoing(events, None))
            expired += 1
        log.info("order_payment_expired", order_id=order_id)
    return f"{expired} expired"


async def apply_event(store: OrderRepository, event: Envelope, payload: BaseModel) -> str:
    """Apply one saga event to its order, once per event id; returns what happened."""
    order_id = str(getattr(payload, "order_id", event.correlation_id))
    async with store.changing(order_id) as change:
        order = await change.load()
        if await change.already_processed(event.id):
            return "duplicate"
        if order is None:
            outcome = "ignored: unknown order"
        else:
            decision = domain.decide(order, payload)
            if decision.changes:
                before = len(order.history)
                domain.apply(order, decision, event.type, datetime.now(UTC))
                follow_ups = [
                    follow_up(emitted, cause=event, producer=PRODUCER) for emitted in decision.emits
                ]
                await change.save(
                    order, order.history[before:], outgoing(follow_ups, current_trace_header())
                )
                outcome = f"{order.status.value}" + (
                    f"({order.reason.value})" if order.reason else ""
                )
            else:
                outcome = f"ignored: {decision.ignored_because}"
        await change.mark_processed(event.id, event.type, outcome)
    crash_point("after_state_change")
    log.info("order_event_applied", order_id=order_id, outcome=outcome)
    return outcome
