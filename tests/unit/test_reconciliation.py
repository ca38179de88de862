"""Reconciliation's comparison: each kind of disagreement, and a clean period."""

from __future__ import annotations

from ecommerce.payments.ledger import PaymentRecord, PaymentStatus
from ecommerce.payments.reconciliation import (
    Dispute,
    Intent,
    Kind,
    OrderView,
    Refund,
    Repair,
    reconcile,
)


def paid(order_id: str, intent_id: str, **extra: object) -> PaymentRecord:
    fields: dict[str, object] = {
        "order_id": order_id,
        "status": PaymentStatus.COMPLETED,
        "approved": True,
        "payment_intent_id": intent_id,
        "amount": 1000,
        "currency": "USD",
        **extra,
    }
    return PaymentRecord(**fields)  # type: ignore[arg-type]


def intent(order_id: str | None, intent_id: str, status: str = "succeeded") -> Intent:
    return Intent(intent_id, order_id, status, 1000, "usd")


def test_a_clean_period_has_nothing_to_say() -> None:
    found = reconcile(
        [
            intent("o-1", "pi_1"),
            intent("o-2", "pi_2"),
            intent("o-3", "pi_3", "requires_payment_method"),
            intent(None, "pi_foreign"),
        ],
        [Refund("re_2", "pi_2", 1000)],
        [],
        {
            "o-1": paid("o-1", "pi_1"),
            "o-2": paid("o-2", "pi_2", refund_status="REFUNDED", refund_id="re_2"),
            "o-3": PaymentRecord("o-3", PaymentStatus.COMPLETED, approved=False),
        },
        {
            "o-1": OrderView("CONFIRMED"),
            "o-2": OrderView("CANCELLED", "customer_cancelled"),
            "o-3": OrderView("CANCELLED", "payment_declined"),
        },
    )
    assert found == []


def test_each_planted_discrepancy_is_found_with_its_repair() -> None:
    found = reconcile(
        [
            intent("o-cancelled", "pi_c"),  # captured, order cancelled, never refunded
            intent("o-stuck", "pi_s"),  # captured, webhook lost: the order still waits
            intent("o-dash", "pi_d"),  # refunded in the processor's dashboard
            intent("o-ok", "pi_ok"),
        ],
        [Refund("re_dash", "pi_d", 1000)],
        [Dispute("dp_1", "pi_ok", "fraudulent", "needs_response")],
        {
            "o-cancelled": paid("o-cancelled", "pi_c"),
            "o-stuck": PaymentRecord(
                "o-stuck", PaymentStatus.ACTION_REQUIRED, payment_intent_id="pi_s"
            ),
            "o-dash": paid("o-dash", "pi_d"),
            "o-ok": paid("o-ok", "pi_ok"),
            "o-ghost": paid("o-ghost", "pi_ghost", refund_status="REFUNDED", refund_id="re_x"),
        },
        {
            "o-cancelled": OrderView("CANCELLED", "customer_cancelled"),
            "o-stuck": OrderView("PAYMENT_ACTION_REQUIRED"),
            "o-dash": OrderView("CANCELLED", "customer_cancelled"),
            "o-ok": OrderView("CONFIRMED"),
            "o-free": OrderView("CONFIRMED"),  # confirmed, never paid
        },
    )
    kinds = {(d.order_id, d.kind): d.repair for d in found}
    assert kinds == {
        ("o-cancelled", Kind.CHARGE_WITHOUT_CONFIRMED_ORDER): Repair.REFUND,
        ("o-stuck", Kind.CHARGE_WITHOUT_CONFIRMED_ORDER): Repair.PUBLISH_OUTCOME,
        ("o-dash", Kind.REFUND_MISSING_IN_LEDGER): Repair.RECORD_REFUND,
        ("o-ok", Kind.DISPUTE): None,
        ("o-free", Kind.CONFIRMED_WITHOUT_CAPTURE): None,
        ("o-ghost", Kind.REFUND_MISSING_AT_PROCESSOR): None,
    }
    dash = next(d for d in found if d.kind is Kind.REFUND_MISSING_IN_LEDGER)
    assert dash.refund_id == "re_dash"


def test_a_capture_for_an_order_nobody_knows_is_reported_not_repaired() -> None:
    [found] = reconcile([intent("o-lost", "pi_l")], [], [], {}, {})
    assert (found.kind, found.repair) == (Kind.CHARGE_WITHOUT_CONFIRMED_ORDER, None)
    assert "unknown" in found.detail


def test_a_second_capture_for_a_confirmed_order_is_refunded() -> None:
    [found] = reconcile(
        [intent("o-1", "pi_1"), intent("o-1", "pi_twice")],
        [],
        [],
        {"o-1": paid("o-1", "pi_1")},
        {"o-1": OrderView("CONFIRMED")},
    )
    assert (found.kind, found.payment_intent, found.repair) == (
        Kind.CHARGE_WITHOUT_CONFIRMED_ORDER,
        "pi_twice",
        Repair.REFUND,
    )
    assert "second time" in found.detail
