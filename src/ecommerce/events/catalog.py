"""Every domain event's payload, version 1. Money is integer minor units, never floats."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PRODUCT_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
"""A product id as the catalog issues them; every context that takes one checks it with this."""


class _Payload(BaseModel):
    # A field added by a newer producer is ignored, so a rolling deploy that adds one never
    # sends the new messages to the old consumers' DLQ; removing or retyping a field is a v2.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Money(_Payload):
    amount: int = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)


class LineItem(_Payload):
    product_id: str
    quantity: int = Field(gt=0)
    unit_price: Money


class OrderPlaced(_Payload):
    order_id: str
    customer_id: str
    items: tuple[LineItem, ...] = Field(min_length=1)
    total: Money
    payment_token: str


class InventoryReserved(_Payload):
    order_id: str
    items: tuple[LineItem, ...]
    total: Money
    payment_token: str


class InventoryRejected(_Payload):
    order_id: str
    reason: Literal["out_of_stock", "unknown_product"]
    product_ids: tuple[str, ...]


class PaymentSucceeded(_Payload):
    order_id: str
    payment_id: str
    amount: Money


class PaymentFailed(_Payload):
    order_id: str
    reason: Literal["payment_declined", "payment_failed"]
    decline_code: str | None = None


class PaymentActionRequired(_Payload):
    """The processor needs the customer to authenticate the payment (3-D Secure): the order
    waits, showing the customer `next_action` (the processor's own object) and the client
    secret their browser completes it with. A webhook settles it later."""

    order_id: str
    payment_id: str
    client_secret: str
    next_action: dict[str, Any]


class OrderConfirmed(_Payload):
    order_id: str


class OrderCancelled(_Payload):
    order_id: str
    reason: Literal[
        "out_of_stock",
        "payment_declined",
        "payment_failed",
        "payment_expired",
        "customer_cancelled",
    ]


class ProductChanged(_Payload):
    """The catalog created, changed or deleted a product: what other contexts may keep of it.

    The orders service keeps prices from it (`ecommerce.orders.prices`); `changed_at` orders
    the changes of one product, since queues do not."""

    product_id: str
    price: Money | None = None
    """None when the product is deleted."""
    deleted: bool = False
    changed_at: datetime


EVENT_MODELS: dict[tuple[str, int], type[BaseModel]] = {
    (model.__name__, 1): model
    for model in (
        OrderPlaced,
        InventoryReserved,
        InventoryRejected,
        PaymentSucceeded,
        PaymentFailed,
        PaymentActionRequired,
        OrderConfirmed,
        OrderCancelled,
        ProductChanged,
    )
}
