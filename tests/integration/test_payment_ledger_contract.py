"""The contract of `PaymentLedger`, held the same by the DynamoDB ledger (on the AWS emulator)
and by the in-memory fake the unit tests use (tests/unit/fakes.py): each test runs on both."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fakes import InMemoryLedger

from ecommerce.payments.ledger import Ledger
from ecommerce.payments.ports import PaymentLedger
from ecommerce.payments.records import PaymentStatus

pytestmark = pytest.mark.integration

LedgerWithLease = Callable[[int], PaymentLedger]
"""A ledger whose leases last this many seconds (a negative lease has run out at once)."""


@pytest.fixture(params=["dynamodb", "in-memory"])
def ledger_with(request: pytest.FixtureRequest) -> LedgerWithLease:
    if request.param == "in-memory":
        shared = InMemoryLedger()

        def fake(lease_seconds: int) -> PaymentLedger:
            shared.lease_seconds = lease_seconds
            return shared

        return fake
    dynamodb = request.getfixturevalue("dynamodb")
    return lambda lease_seconds: Ledger(dynamodb, lease_seconds)


@pytest.fixture
def ledger(ledger_with: LedgerWithLease) -> PaymentLedger:
    return ledger_with(60)


def an_order() -> str:
    return str(uuid.uuid4())


async def test_one_claim_at_a_time_and_only_its_holder_completes(ledger: PaymentLedger) -> None:
    order = an_order()
    claim = await ledger.claim_charge(order, 4200, "USD")
    assert claim.token is not None and claim.record is None
    second = await ledger.claim_charge(order, 4200, "USD")
    assert second.token is None and second.record is not None
    assert (second.record.status, second.record.amount, second.record.currency) == (
        PaymentStatus.INPROGRESS,
        4200,
        "USD",
    )
    assert not await ledger.complete_charge(
        order, "not-the-holder", approved=True, payment_intent_id="pi_1", decline_code=None
    )
    assert await ledger.complete_charge(
        order, claim.token, approved=True, payment_intent_id="pi_1", decline_code=None
    )
    record = await ledger.get(order)
    assert record is not None
    assert (record.status, record.approved, record.payment_intent_id, record.decline_code) == (
        PaymentStatus.COMPLETED,
        True,
        "pi_1",
        None,
    )
    assert not await ledger.complete_charge(
        order, claim.token, approved=False, payment_intent_id=None, decline_code="x"
    )
    after = await ledger.claim_charge(order, 4200, "USD")
    assert after.token is None and after.record == record


async def test_a_declined_charge_is_recorded_with_its_code(ledger: PaymentLedger) -> None:
    order = an_order()
    claim = await ledger.claim_charge(order, 100, "EUR")
    assert claim.token is not None
    assert await ledger.complete_charge(
        order, claim.token, approved=False, payment_intent_id=None, decline_code="card_declined"
    )
    record = await ledger.get(order)
    assert record is not None
    assert (record.approved, record.payment_intent_id, record.decline_code) == (
        False,
        None,
        "card_declined",
    )


async def test_a_lease_run_out_or_released_is_claimed_again(
    ledger_with: LedgerWithLease,
) -> None:
    order = an_order()
    first = await ledger_with(-1).claim_charge(order, 4200, "USD")
    again = await ledger_with(60).claim_charge(order, 4200, "USD")
    assert first.token is not None and again.token is not None and again.token != first.token
    ledger = ledger_with(60)
    assert not await ledger.complete_charge(
        order, first.token, approved=True, payment_intent_id="pi", decline_code=None
    )
    assert not await ledger.release_charge(order, first.token)
    assert await ledger.release_charge(order, again.token)
    third = await ledger.claim_charge(order, 4200, "USD")
    assert third.token is not None


async def test_a_charge_forbidden_first_never_happens(ledger: PaymentLedger) -> None:
    order = an_order()
    assert await ledger.forbid_charge(order)
    assert not await ledger.forbid_charge(order)
    claim = await ledger.claim_charge(order, 4200, "USD")
    assert claim.token is None and claim.record is not None
    assert claim.record.status is PaymentStatus.CANCELLED
    charged = an_order()
    assert (await ledger.claim_charge(charged, 1, "USD")).token is not None
    assert not await ledger.forbid_charge(charged)


async def approved(ledger: PaymentLedger, intent: str = "pi_ok") -> str:
    order = an_order()
    claim = await ledger.claim_charge(order, 4200, "USD")
    assert claim.token is not None
    assert await ledger.complete_charge(
        order, claim.token, approved=True, payment_intent_id=intent, decline_code=None
    )
    return order


async def test_a_refund_is_claimed_once_and_completed_by_its_holder(
    ledger_with: LedgerWithLease,
) -> None:
    ledger = ledger_with(60)
    order = await approved(ledger)
    token = await ledger.claim_refund(order)
    assert token is not None
    assert await ledger.claim_refund(order) is None  # its lease is live
    refunding = await ledger.get(order)
    assert refunding is not None and refunding.refund_status == "REFUNDING"
    assert not await ledger.complete_refund(order, "not-the-holder", "re_1")
    assert await ledger.complete_refund(order, token, "re_1")
    assert not await ledger.complete_refund(order, token, "re_2")
    record = await ledger.get(order)
    assert record is not None and (record.refund_status, record.refund_id) == ("REFUNDED", "re_1")
    assert await ledger_with(-1).claim_refund(order) is None  # refunded: never again
    stale = await approved(ledger)
    assert await ledger_with(-1).claim_refund(stale) is not None
    assert await ledger_with(60).claim_refund(stale) is not None  # that lease ran out


async def test_only_an_approved_charge_is_refunded(ledger: PaymentLedger) -> None:
    declined = an_order()
    claim = await ledger.claim_charge(declined, 4200, "USD")
    assert claim.token is not None
    assert await ledger.claim_refund(declined) is None  # still in progress
    await ledger.complete_charge(
        declined, claim.token, approved=False, payment_intent_id=None, decline_code="x"
    )
    assert await ledger.claim_refund(declined) is None
    assert await ledger.claim_refund(an_order()) is None
    assert not await ledger.complete_refund(an_order(), "t", "re")


async def test_waiting_for_the_customer_then_settled_once(ledger: PaymentLedger) -> None:
    order = an_order()
    claim = await ledger.claim_charge(order, 4200, "USD")
    assert claim.token is not None
    assert not await ledger.require_action(
        order, "not-the-holder", payment_intent_id="pi_3ds", next_action="{}", client_secret="s"
    )
    assert await ledger.require_action(
        order,
        claim.token,
        payment_intent_id="pi_3ds",
        next_action='{"type": "redirect_to_url"}',
        client_secret="pi_3ds_secret",
    )
    waiting = await ledger.get(order)
    assert waiting is not None
    assert (waiting.status, waiting.payment_intent_id, waiting.next_action) == (
        PaymentStatus.ACTION_REQUIRED,
        "pi_3ds",
        '{"type": "redirect_to_url"}',
    )
    assert waiting.client_secret == "pi_3ds_secret"
    assert (await ledger.claim_charge(order, 4200, "USD")).token is None
    assert not await ledger.settle_action(
        order, approved=True, payment_intent_id="pi_other", decline_code=None
    )
    assert await ledger.settle_action(
        order, approved=True, payment_intent_id="pi_3ds", decline_code=None
    )
    settled = await ledger.get(order)
    assert settled is not None
    assert (settled.status, settled.approved, settled.next_action, settled.client_secret) == (
        PaymentStatus.COMPLETED,
        True,
        None,
        None,
    )
    # A late failure, or a cancel, never moves a settled payment back.
    assert not await ledger.settle_action(
        order, approved=False, payment_intent_id="pi_3ds", decline_code="x"
    )
    assert not await ledger.cancel_action(order)
    assert await ledger.get(order) == settled


async def test_a_waiting_payment_is_called_off_once(ledger: PaymentLedger) -> None:
    order = an_order()
    claim = await ledger.claim_charge(order, 4200, "USD")
    assert claim.token is not None
    await ledger.require_action(
        order, claim.token, payment_intent_id="pi_3ds", next_action="{}", client_secret="s"
    )
    assert await ledger.cancel_action(order)
    assert not await ledger.cancel_action(order)
    record = await ledger.get(order)
    assert record is not None
    assert (record.status, record.next_action, record.client_secret) == (
        PaymentStatus.CANCELLED,
        None,
        None,
    )
    assert not await ledger.settle_action(
        order, approved=True, payment_intent_id="pi_3ds", decline_code=None
    )
    assert not await ledger.cancel_action(an_order())


async def test_the_processors_refunds_and_disputes_are_recorded_once(
    ledger: PaymentLedger,
) -> None:
    order = await approved(ledger)
    assert await ledger.record_processor_refund(order, "re_dash")
    assert not await ledger.record_processor_refund(order, "re_dash")
    assert await ledger.record_dispute(order, "dp_1")
    assert not await ledger.record_dispute(order, "dp_1")
    assert await ledger.record_dispute(order, "dp_2")
    record = await ledger.get(order)
    assert record is not None
    assert (record.refund_status, record.refund_id, record.dispute_id) == (
        "REFUNDED",
        "re_dash",
        "dp_2",
    )
    assert not await ledger.record_dispute(an_order(), "dp_1")
    assert not await ledger.record_processor_refund(an_order(), "re")
    forbidden = an_order()
    await ledger.forbid_charge(forbidden)
    assert not await ledger.record_processor_refund(forbidden, "re")


async def test_a_webhook_is_marked_seen(ledger: PaymentLedger) -> None:
    event_id = f"evt_{uuid.uuid4().hex}"
    assert not await ledger.webhook_seen(event_id)
    await ledger.mark_webhook(event_id, "payment_intent.succeeded", "succeeded")
    await ledger.mark_webhook(event_id, "payment_intent.succeeded", "succeeded")
    assert await ledger.webhook_seen(event_id)
    assert await ledger.get(an_order()) is None
