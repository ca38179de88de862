"""The audit's checks on snapshots with violations planted, one per invariant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecommerce.ops.audit import (
    Bounds,
    DeadLetterRow,
    GatewayCharge,
    OrderRow,
    PaymentRow,
    ReservationRow,
    Snapshot,
    StockBaseline,
    audit,
    violations,
)
from ecommerce.ops.audit_command import render

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(hours=1)


def order(order_id: str, status: str, reason: str | None = None, at: datetime = OLD) -> OrderRow:
    return OrderRow(order_id, status, reason, at, at)


def healthy() -> Snapshot:
    """A confirmed order, a declined one and a customer-cancelled (refunded) one: all clean."""
    return Snapshot(
        taken_at=NOW,
        orders=[
            order("o-ok", "CONFIRMED"),
            order("o-declined", "CANCELLED", "payment_declined"),
            order("o-refunded", "CANCELLED", "customer_cancelled"),
            order("o-new", "PENDING", at=NOW - timedelta(seconds=5)),
        ],
        reservations=[
            ReservationRow("o-ok", "COMMITTED", (("p-1", 2),), OLD),
            ReservationRow("o-declined", "RELEASED", (("p-1", 1),), OLD),
            ReservationRow("o-refunded", "RELEASED", (("p-1", 1),), OLD),
        ],
        stock={"p-1": 8},
        payments=[
            PaymentRow("o-ok", "COMPLETED", True, None),
            PaymentRow("o-declined", "COMPLETED", False, None),
            PaymentRow("o-refunded", "COMPLETED", True, "REFUNDED"),
        ],
        outbox_waiting=[NOW - timedelta(seconds=1)],
        dead_letters=[DeadLetterRow("inventory", "m-1", "poison: not a valid event envelope")],
        gateway=[GatewayCharge("o-ok", 1, 0), GatewayCharge("o-refunded", 1, 1)],
    )


def test_a_healthy_snapshot_is_clean() -> None:
    checks = audit(healthy(), Bounds(settle_seconds=60))
    assert violations(checks) == 0, [c.violations for c in checks]
    assert render(checks).endswith("audit clean")
    baseline = StockBaseline(OLD - timedelta(minutes=1), {"p-1": 10})
    assert violations(audit(healthy(), Bounds(settle_seconds=60), baseline)) == 0


def planted(**changes: object) -> list[str]:
    snapshot = healthy()
    fields = {**snapshot.__dict__, **changes}
    checks = audit(Snapshot(**fields), Bounds(settle_seconds=60))
    return [violation for check in checks for violation in check.violations]


def test_an_order_stuck_past_the_bound_is_a_violation() -> None:
    found = planted(orders=[*healthy().orders, order("o-stuck", "RESERVED")])
    assert found == ["order o-stuck: still RESERVED since 11:00:00"]


def test_an_order_waiting_for_authentication_has_until_its_expiry() -> None:
    waiting = order("o-3ds", "PAYMENT_ACTION_REQUIRED", at=NOW - timedelta(minutes=10))
    assert planted(orders=[*healthy().orders, waiting]) == []
    forgotten = order("o-3ds-old", "PAYMENT_ACTION_REQUIRED")
    assert planted(orders=[*healthy().orders, forgotten]) == [
        "order o-3ds-old: still PAYMENT_ACTION_REQUIRED since 11:00:00"
    ]


def test_an_unknown_status_is_a_violation() -> None:
    found = planted(orders=[*healthy().orders, order("o-odd", "LOST", at=NOW)])
    assert found == ["order o-odd: unknown status 'LOST'"]


def test_a_confirmed_order_without_a_capture_is_a_violation() -> None:
    payments = [p for p in healthy().payments if p.order_id != "o-ok"]
    found = planted(payments=payments)
    assert "order o-ok: CONFIRMED with 0 net capture(s)" in found


def test_a_cancelled_order_still_charged_is_a_violation() -> None:
    payments = [p for p in healthy().payments if p.order_id != "o-refunded"]
    payments.append(PaymentRow("o-refunded", "COMPLETED", True, "REFUNDING"))
    found = planted(payments=payments)
    assert found == ["order o-refunded: CANCELLED but charged (customer_cancelled)"]


def test_a_double_capture_at_the_gateway_is_a_violation() -> None:
    found = planted(gateway=[GatewayCharge("o-ok", 2, 0), GatewayCharge("o-refunded", 1, 1)])
    assert "order o-ok: captured 2 times" in found
    assert "order o-ok: CONFIRMED with 2 at the gateway" in found


def test_a_charge_without_an_order_is_a_violation() -> None:
    found = planted(payments=[*healthy().payments, PaymentRow("o-ghost", "COMPLETED", True, None)])
    assert found == ["payment for order o-ghost: no such order"]


def test_a_reservation_without_its_order_is_a_violation() -> None:
    ghost = ReservationRow("o-ghost", "RESERVED", (("p-1", 1),), OLD)
    found = planted(reservations=[*healthy().reservations, ghost])
    assert found == ["reservation o-ghost: no such order"]


def test_stock_held_for_a_cancelled_order_is_a_violation() -> None:
    reservations = [r for r in healthy().reservations if r.order_id != "o-declined"]
    reservations.append(ReservationRow("o-declined", "RESERVED", (("p-1", 1),), OLD))
    found = planted(reservations=reservations)
    assert found == ["order o-declined: CANCELLED, its reservation still RESERVED"]


def test_negative_stock_and_broken_conservation_are_violations() -> None:
    assert planted(stock={"p-1": -1}) == ["product p-1: stock -1"]
    baseline = StockBaseline(OLD - timedelta(minutes=1), {"p-1": 10})
    checks = audit(Snapshot(**{**healthy().__dict__, "stock": {"p-1": 9}}), baseline=baseline)
    assert [v for c in checks for v in c.violations] == [
        "product p-1: 10 at the baseline - 2 taken != 9 available"
    ]


def test_an_outbox_row_waiting_too_long_is_a_violation() -> None:
    found = planted(outbox_waiting=[OLD])
    assert found == ["1 event(s) unpublished for over 60 s (oldest written 11:00:00)"]


def test_a_dead_letter_without_a_reason_is_a_violation() -> None:
    found = planted(dead_letters=[DeadLetterRow("payments", "m-9", None)])
    assert found == ["payments-dlq m-9: no reason (moved by the redrive policy)"]


def test_the_table_names_each_violated_invariant() -> None:
    snapshot = Snapshot(**{**healthy().__dict__, "stock": {"p-1": -3}})
    text = render(audit(snapshot))
    assert "VIOLATED  stock conserved, never below zero" in text
    assert "product p-1: stock -3" in text
    assert text.endswith("1 violation(s)")
