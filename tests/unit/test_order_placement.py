from datetime import UTC, datetime

import pytest

from ecommerce.events import Money
from ecommerce.orders.domain import Status
from ecommerce.orders.placement import (
    PlacementError,
    RequestedLine,
    merge_lines,
    price_order,
    request_fingerprint,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def usd(amount: int) -> Money:
    return Money(amount=amount, currency="USD")


def test_prices_and_totals_in_minor_units() -> None:
    order = price_order(
        order_id="o-1",
        customer_id="c-1",
        lines=[RequestedLine("a", 2), RequestedLine("b", 1), RequestedLine("a", 1)],
        prices={"a": usd(1999), "b": usd(1)},
        payment_token="tok_visa",
        now=NOW,
    )
    assert [(i.product_id, i.quantity) for i in order.items] == [("a", 3), ("b", 1)]
    assert order.total == usd(3 * 1999 + 1)
    assert order.status is Status.PENDING
    assert order.history[0].to_status is Status.PENDING


def test_unknown_product_names_its_field() -> None:
    with pytest.raises(PlacementError) as raised:
        price_order(
            order_id="o",
            customer_id="c",
            lines=[RequestedLine("a", 1), RequestedLine("zzz", 1)],
            prices={"a": usd(1), "zzz": None},
            payment_token="t",
            now=NOW,
        )
    assert raised.value.field == "items.1.product_id"


def test_mixed_currencies_are_refused() -> None:
    with pytest.raises(PlacementError):
        price_order(
            order_id="o",
            customer_id="c",
            lines=[RequestedLine("a", 1), RequestedLine("b", 1)],
            prices={"a": usd(1), "b": Money(amount=1, currency="EUR")},
            payment_token="t",
            now=NOW,
        )


def test_merge_keeps_first_seen_order() -> None:
    merged = merge_lines([RequestedLine("b", 1), RequestedLine("a", 1), RequestedLine("b", 2)])
    assert merged == [RequestedLine("b", 3), RequestedLine("a", 1)]


def test_fingerprint_ignores_key_order_but_not_values() -> None:
    assert request_fingerprint({"a": 1, "b": [1, 2]}) == request_fingerprint({"b": [1, 2], "a": 1})
    assert request_fingerprint({"a": 1}) != request_fingerprint({"a": 2})
