"""The order aggregate and its state machine. Pure: no I/O, no clock, no randomness.

    PENDING ──InventoryReserved──▶ RESERVED ──PaymentSucceeded──▶ CONFIRMED
       │                              │                                ▲
       │                    PaymentActionRequired                      │
       │                              ▼                                │
       │                   PAYMENT_ACTION_REQUIRED ──PaymentSucceeded──┘
       │                              │  └─expiry─▶ CANCELLED(payment_expired)
       ├─InventoryRejected─▶ CANCELLED(out_of_stock)
       └─PaymentFailed─────▶ CANCELLED(payment_declined | payment_failed) ◀─┘

PAYMENT_ACTION_REQUIRED: the processor waits for the customer to authenticate (3-D Secure);
the order shows them the processor's next action until a webhook settles the payment, or the
wait outlives `expiry` (`decide_expiry`).

Queues are not ordered, so a PaymentSucceeded may overtake its InventoryReserved: payment only
follows a reservation, so PENDING + PaymentSucceeded passes through RESERVED to CONFIRMED.
An event that does not apply to the current state is recorded and ignored, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from ecommerce.events import (
    InventoryRejected,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    OrderConfirmed,
    PaymentActionRequired,
    PaymentFailed,
    PaymentSucceeded,
)


class Status(StrEnum):
    PENDING = "PENDING"
    RESERVED = "RESERVED"
    PAYMENT_ACTION_REQUIRED = "PAYMENT_ACTION_REQUIRED"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class Reason(StrEnum):
    OUT_OF_STOCK = "out_of_stock"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_EXPIRED = "payment_expired"
    CUSTOMER_CANCELLED = "customer_cancelled"


@dataclass(frozen=True)
class Transition:
    from_status: Status | None
    to_status: Status
    reason: Reason | None
    cause: str
    at: datetime


@dataclass(frozen=True)
class PaymentAction:
    """What the customer must do for the processor, while the order waits for them."""

    payment_id: str
    client_secret: str
    next_action: dict[str, Any]


@dataclass
class Order:
    id: str
    customer_id: str
    status: Status
    items: tuple[LineItem, ...]
    total: Money
    payment_token: str
    created_at: datetime
    updated_at: datetime
    reason: Reason | None = None
    version: int = 1
    history: list[Transition] = field(default_factory=list)
    payment_action: PaymentAction | None = None
    """Set while PAYMENT_ACTION_REQUIRED."""


@dataclass(frozen=True)
class Decision:
    """What an event does to an order: the transitions it makes and the events it emits."""

    transitions: tuple[tuple[Status, Reason | None], ...] = ()
    emits: tuple[BaseModel, ...] = ()
    ignored_because: str | None = None
    payment_action: PaymentAction | None = None
    """The action the order waits for, when it enters PAYMENT_ACTION_REQUIRED."""

    @property
    def changes(self) -> bool:
        return bool(self.transitions)


def ignore(why: str) -> Decision:
    return Decision(ignored_because=why)


def decide(order: Order, event: BaseModel) -> Decision:
    status = order.status
    match event:
        case InventoryReserved():
            if status is Status.PENDING:
                return Decision(((Status.RESERVED, None),))
        case InventoryRejected():
            if status is Status.PENDING:
                return _cancel(order, Reason.OUT_OF_STOCK)
        case PaymentActionRequired():
            action = PaymentAction(event.payment_id, event.client_secret, event.next_action)
            if status is Status.PENDING:
                return Decision(
                    ((Status.RESERVED, None), (Status.PAYMENT_ACTION_REQUIRED, None)),
                    payment_action=action,
                )
            if status is Status.RESERVED:
                return Decision(((Status.PAYMENT_ACTION_REQUIRED, None),), payment_action=action)
        case PaymentSucceeded():
            if status is Status.PENDING:
                return Decision(
                    ((Status.RESERVED, None), (Status.CONFIRMED, None)),
                    (OrderConfirmed(order_id=order.id),),
                )
            if status in (Status.RESERVED, Status.PAYMENT_ACTION_REQUIRED):
                return Decision(((Status.CONFIRMED, None),), (OrderConfirmed(order_id=order.id),))
        case PaymentFailed(reason=reason):
            if status in (Status.PENDING, Status.RESERVED, Status.PAYMENT_ACTION_REQUIRED):
                return _cancel(order, Reason(reason))
        case _:
            return ignore(f"{type(event).__name__} does not concern orders")
    return ignore(f"{type(event).__name__} does not apply to a {status} order")


def decide_cancel(order: Order) -> Decision:
    """A cancel asked for by the customer or an admin."""
    if order.status is Status.CANCELLED:
        return ignore("already cancelled")
    return _cancel(order, Reason.CUSTOMER_CANCELLED)


def decide_expiry(order: Order, now: datetime, expiry: timedelta) -> Decision:
    """An order that has waited for the customer's authentication longer than `expiry` is
    cancelled (`payment_expired`): its stock goes back and the payment is called off."""
    if order.status is not Status.PAYMENT_ACTION_REQUIRED:
        return ignore(f"a {order.status} order does not expire")
    waiting_since = next(
        (t.at for t in reversed(order.history) if t.to_status is order.status), order.updated_at
    )
    if now - waiting_since < expiry:
        return ignore("still within its expiry")
    return _cancel(order, Reason.PAYMENT_EXPIRED)


def _cancel(order: Order, reason: Reason) -> Decision:
    return Decision(
        ((Status.CANCELLED, reason),),
        (OrderCancelled(order_id=order.id, reason=reason.value),),
    )


def apply(order: Order, decision: Decision, cause: str, at: datetime) -> Order:
    """The order after the decision's transitions, with its history extended."""
    for to_status, reason in decision.transitions:
        order.history.append(Transition(order.status, to_status, reason, cause, at))
        order.status = to_status
        order.reason = reason
    if decision.transitions:
        order.version += 1
        order.updated_at = at
        waiting = order.status is Status.PAYMENT_ACTION_REQUIRED
        order.payment_action = (
            (decision.payment_action or order.payment_action) if waiting else None
        )
    return order
