"""The orders API's request bodies and response documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ecommerce.orders.domain import Order


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=100)


class PlaceOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[OrderLineIn] = Field(min_length=1, max_length=50)
    payment_token: str = Field(min_length=1, max_length=100)


def order_document(order: Order, *, with_history: bool = True) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": order.id,
        "status": order.status.value,
        "reason": order.reason.value if order.reason else None,
        "items": [item.model_dump(mode="json") for item in order.items],
        "total": order.total.model_dump(mode="json"),
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }
    if with_history:
        document["history"] = [
            {
                "from": t.from_status.value if t.from_status else None,
                "to": t.to_status.value,
                "reason": t.reason.value if t.reason else None,
                "cause": t.cause,
                "at": t.at.isoformat(),
            }
            for t in order.history
        ]
    return document
