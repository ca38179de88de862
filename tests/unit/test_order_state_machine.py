from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from ecommerce.events import (
    InventoryRejected,
    InventoryReserved,
    LineItem,
    Money,
    OrderCancelled,
    OrderConfirmed,
    OrderPlaced,
    PaymentActionRequired,
    PaymentFailed,
    PaymentSucceeded,
)
from ecommerce.orders.domain import (
    Order,
    Reason,
    Status,
    apply,
    decide,
    decide_cancel,
    decide_expiry,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USD = Money(amount=500, currency="USD")
ITEMS = (LineItem(product_id="p-001", quantity=2, unit_price=Money(amount=250, currency="USD")),)


def order(status: Status) -> Order:
    return Order("o-1", "c-1", status, ITEMS, USD, "tok_visa", NOW, NOW)


RESERVED = InventoryReserved(order_id="o-1", items=ITEMS, total=USD, payment_token="tok_visa")
REJECTED = InventoryRejected(order_id="o-1", reason="out_of_stock", product_ids=("p-001",))
PAID = PaymentSucceeded(order_id="o-1", payment_id="pi_1", amount=USD)
DECLINED = PaymentFailed(order_id="o-1", reason="payment_declined", decline_code="generic_decline")


def run(status: Status, event: BaseModel) -> Order:
    current = order(status)
    return apply(current, decide(current, event), type(event).__name__, NOW)


def test_happy_path_reserves_then_confirms() -> None:
    reserved = run(Status.PENDING, RESERVED)
    assert reserved.status is Status.RESERVED
    decision = decide(reserved, PAID)
    assert decision.emits == (OrderConfirmed(order_id="o-1"),)
    confirmed = apply(reserved, decision, "PaymentSucceeded", NOW)
    assert confirmed.status is Status.CONFIRMED
    assert [t.to_status for t in confirmed.history] == [Status.RESERVED, Status.CONFIRMED]
    assert confirmed.version == 3


def test_out_of_stock_cancels_with_reason() -> None:
    decision = decide(order(Status.PENDING), REJECTED)
    assert decision.emits == (OrderCancelled(order_id="o-1", reason="out_of_stock"),)
    cancelled = run(Status.PENDING, REJECTED)
    assert (cancelled.status, cancelled.reason) == (Status.CANCELLED, Reason.OUT_OF_STOCK)


def test_declined_payment_cancels_and_asks_for_release() -> None:
    decision = decide(order(Status.RESERVED), DECLINED)
    assert decision.emits == (OrderCancelled(order_id="o-1", reason="payment_declined"),)
    assert run(Status.RESERVED, DECLINED).reason is Reason.PAYMENT_DECLINED


def test_payment_overtaking_its_reservation_still_confirms() -> None:
    confirmed = run(Status.PENDING, PAID)
    assert confirmed.status is Status.CONFIRMED
    assert [t.to_status for t in confirmed.history] == [Status.RESERVED, Status.CONFIRMED]
    late_reservation = decide(confirmed, RESERVED)
    assert not late_reservation.changes
    assert late_reservation.ignored_because


@pytest.mark.parametrize("event", [RESERVED, REJECTED, PAID, DECLINED])
@pytest.mark.parametrize("final", [Status.CONFIRMED, Status.CANCELLED])
def test_final_states_ignore_every_saga_event(final: Status, event: BaseModel) -> None:
    decision = decide(order(final), event)
    assert not decision.changes and not decision.emits
    assert decision.ignored_because


def test_rejection_after_reservation_is_ignored() -> None:
    assert not decide(order(Status.RESERVED), REJECTED).changes


def test_unrelated_event_is_ignored_not_an_error() -> None:
    placed = OrderPlaced(
        order_id="o-1", customer_id="c-1", items=ITEMS, total=USD, payment_token="tok_visa"
    )
    assert decide(order(Status.PENDING), placed).ignored_because


@pytest.mark.parametrize("status", [Status.PENDING, Status.RESERVED, Status.CONFIRMED])
def test_customer_cancel_applies_until_cancelled(status: Status) -> None:
    decision = decide_cancel(order(status))
    assert decision.transitions == ((Status.CANCELLED, Reason.CUSTOMER_CANCELLED),)
    assert not decide_cancel(order(Status.CANCELLED)).changes


# --- customer authentication (3-D Secure) and its expiry -------------------------------------

ACTION = PaymentActionRequired(
    order_id="o-1",
    payment_id="pi_1",
    client_secret="pi_1_secret_x",
    next_action={"type": "redirect_to_url", "redirect_to_url": {"url": "https://x/pi_1"}},
)
EXPIRY = timedelta(minutes=15)


def test_an_order_waits_for_the_customer_then_a_payment_confirms_it() -> None:
    waiting = run(Status.RESERVED, ACTION)
    assert waiting.status is Status.PAYMENT_ACTION_REQUIRED
    assert waiting.payment_action is not None
    assert waiting.payment_action.client_secret == "pi_1_secret_x"
    decision = decide(waiting, PAID)
    assert decision.emits == (OrderConfirmed(order_id="o-1"),)
    confirmed = apply(waiting, decision, "PaymentSucceeded", NOW)
    assert confirmed.status is Status.CONFIRMED and confirmed.payment_action is None


def test_an_action_overtaking_its_reservation_passes_through_reserved() -> None:
    waiting = run(Status.PENDING, ACTION)
    assert [t.to_status for t in waiting.history] == [
        Status.RESERVED,
        Status.PAYMENT_ACTION_REQUIRED,
    ]


def test_a_failed_authentication_cancels_and_releases() -> None:
    waiting = run(Status.RESERVED, ACTION)
    decision = decide(waiting, DECLINED)
    assert decision.emits == (OrderCancelled(order_id="o-1", reason="payment_declined"),)
    assert apply(waiting, decision, "PaymentFailed", NOW).payment_action is None


@pytest.mark.parametrize("status", [Status.CONFIRMED, Status.CANCELLED])
def test_a_late_action_request_changes_nothing(status: Status) -> None:
    assert not decide(order(status), ACTION).changes


def test_a_waiting_order_expires_after_the_expiry_only() -> None:
    waiting = run(Status.RESERVED, ACTION)
    assert not decide_expiry(waiting, NOW + EXPIRY - timedelta(seconds=1), EXPIRY).changes
    decision = decide_expiry(waiting, NOW + EXPIRY, EXPIRY)
    assert decision.emits == (OrderCancelled(order_id="o-1", reason="payment_expired"),)
    expired = apply(waiting, decision, "payment_expired", NOW + EXPIRY)
    assert (expired.status, expired.reason) == (Status.CANCELLED, Reason.PAYMENT_EXPIRED)


@pytest.mark.parametrize("status", [Status.PENDING, Status.RESERVED, Status.CONFIRMED])
def test_only_a_waiting_order_expires(status: Status) -> None:
    assert not decide_expiry(order(status), NOW + 10 * EXPIRY, EXPIRY).changes


def test_a_customer_may_cancel_a_waiting_order() -> None:
    waiting = run(Status.RESERVED, ACTION)
    assert decide_cancel(waiting).emits == (
        OrderCancelled(order_id="o-1", reason="customer_cancelled"),
    )
