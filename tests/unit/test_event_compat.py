"""Events stay readable across a rolling deploy: a consumer of v1 reads a v1 payload (and an
envelope) to which a newer producer added fields, and still refuses one missing a field."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from ecommerce.events import OrderPlaced
from ecommerce.events.envelope import PoisonMessage, parse_envelope, parse_payload


def body(payload: Mapping[str, object], **envelope: object) -> str:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": "OrderPlaced",
            "version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": "orders",
            "correlation_id": "o-1",
            "payload": payload,
            **envelope,
        }
    )


PLACED = {
    "order_id": "o-1",
    "customer_id": "c-1",
    "items": [
        {
            "product_id": "p-001",
            "quantity": 2,
            "unit_price": {"amount": 500, "currency": "USD", "tax_rate": "0.2"},
            "gift_wrap": True,
        }
    ],
    "total": {"amount": 1000, "currency": "USD"},
    "payment_token": "tok_visa",
}


def test_a_v1_consumer_reads_a_payload_with_added_fields() -> None:
    envelope = parse_envelope(
        body({**PLACED, "coupon": "WINTER", "channel": "web"}, tenant="acme", schema="v1.1")
    )
    placed = parse_payload(envelope)
    assert isinstance(placed, OrderPlaced)
    assert placed.order_id == "o-1"
    assert placed.items[0].unit_price.amount == 500
    assert not hasattr(placed, "coupon")


def test_a_payload_missing_a_field_is_still_poison() -> None:
    incomplete = {key: value for key, value in PLACED.items() if key != "total"}
    with pytest.raises(PoisonMessage, match="total"):
        parse_payload(parse_envelope(body(incomplete)))
