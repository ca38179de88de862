"""The orders API's request bodies and response documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ecommerce.events import PRODUCT_ID_PATTERN, LineItem, Money
from ecommerce.orders.domain import Order
from ecommerce.platform.http.schema_types import JsonInt
from ecommerce.platform.text_patterns import PAYMENT_TOKEN


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(
        pattern=f"^{PRODUCT_ID_PATTERN}$",
        description="A product of the catalog (an unknown one is a 422 naming the line).",
    )
    quantity: JsonInt = Field(ge=1, le=100)


class PlaceOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OrderLineIn] = Field(min_length=1, max_length=50)
    payment_token: str = Field(
        min_length=1,
        max_length=100,
        pattern=PAYMENT_TOKEN,
        description="The processor's token or payment method id, e.g. tok_visa.",
    )


class TransitionOut(BaseModel):
    from_status: str | None = Field(serialization_alias="from")
    to: str
    reason: str | None
    cause: str
    at: datetime


class PaymentActionOut(BaseModel):
    """What the customer must do for the payment processor (3-D Secure) while the order is
    PAYMENT_ACTION_REQUIRED."""

    payment_id: str
    client_secret: str
    next_action: dict[str, Any] = Field(
        description="The processor's own next_action, e.g. {type: redirect_to_url, "
        "redirect_to_url: {url, return_url}}"
    )
    expires_at: datetime | None = Field(
        description="When the order is cancelled (payment_expired) without authentication"
    )


class OrderOut(BaseModel):
    """An order as the API shows it; `history` only on a single order."""

    id: str
    status: str
    reason: str | None
    items: list[LineItem]
    total: Money
    created_at: datetime
    updated_at: datetime
    payment_action: PaymentActionOut | None = None
    history: list[TransitionOut] | None = None


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


def order_document(
    order: Order, *, with_history: bool = True, action_expiry: timedelta | None = None
) -> dict[str, Any]:
    action = order.payment_action
    shown = OrderOut(
        id=order.id,
        status=order.status.value,
        reason=order.reason.value if order.reason else None,
        items=list(order.items),
        total=order.total,
        created_at=order.created_at,
        updated_at=order.updated_at,
        payment_action=None
        if action is None
        else PaymentActionOut(
            payment_id=action.payment_id,
            client_secret=action.client_secret,
            next_action=action.next_action,
            expires_at=None if action_expiry is None else order.updated_at + action_expiry,
        ),
        history=[
            TransitionOut(
                from_status=t.from_status.value if t.from_status else None,
                to=t.to_status.value,
                reason=t.reason.value if t.reason else None,
                cause=t.cause,
                at=t.at,
            )
            for t in order.history
        ]
        if with_history
        else None,
    )
    return shown.model_dump(
        mode="json",
        by_alias=True,
        exclude_none=False,
        exclude={"history"} if not with_history else None,
    )
