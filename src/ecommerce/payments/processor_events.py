"""The payments worker's side of the processor's webhooks (the `payment-webhooks` queue).

The frontend verified each event before queueing it. Here each is applied once per event id
(a mark in the payments table after it is applied; applying it twice is harmless too, every
change being conditional), and never moves a payment backwards: only a payment waiting for
the customer (ACTION_REQUIRED) is settled by `payment_intent.succeeded` / `.payment_failed`;
a late or repeated event meets a settled payment and changes nothing.

Most events are of that last kind: the processor reports every charge's outcome, and the
charge call's own answer settled the payment already. Such an event is recognised from the
payment alone (one read) and neither looked up nor marked by its id: it changes nothing
however often it comes, and reading and writing its mark were two of the order's AWS calls.
"""

from __future__ import annotations

from typing import Any

import structlog

from ecommerce.events import Money, PaymentFailed, PaymentSucceeded, new_event
from ecommerce.events.envelope import PoisonMessage
from ecommerce.payments.ports import PaymentLedger
from ecommerce.payments.records import PaymentRecord, PaymentStatus
from ecommerce.platform.json_text import NotJson, parse_json
from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.message import Message
from ecommerce.platform.messaging.publisher import Publisher

log = get_logger("payments.webhooks")

PRODUCER = "payments"

SETTLING = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed"})
OPEN = frozenset({PaymentStatus.INPROGRESS, PaymentStatus.ACTION_REQUIRED})
"""The payment states a settling event can still act on (or must come back for)."""


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data")
    found = data.get("object") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        raise PoisonMessage("event without data.object")
    return found


def _order_id(obj: dict[str, Any]) -> str | None:
    metadata = obj.get("metadata")
    order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
    return order_id if isinstance(order_id, str) and order_id else None


class ProcessorEvents:
    def __init__(self, ledger: PaymentLedger, publisher: Publisher) -> None:
        self._ledger = ledger
        self._publisher = publisher

    async def __call__(self, message: Message) -> None:
        try:
            event = parse_json(message.body)
        except NotJson as error:
            raise PoisonMessage(f"webhook body is not JSON: {error}") from None
        if not isinstance(event, dict) or not isinstance(event.get("id"), str):
            raise PoisonMessage("webhook body is not an event")
        event_id, event_type = event["id"], str(event.get("type"))
        structlog.contextvars.bind_contextvars(event_id=event_id, event_type=event_type)
        obj = _object(event)
        order_id, record = await self._payment_of(obj)
        if record is not None and event_type in SETTLING and record.status not in OPEN:
            log.info("webhook_applied", outcome=f"ignored: payment is {record.status.value}")
            return
        if await self._ledger.webhook_seen(event_id):
            log.info("webhook_duplicate")
            return
        outcome, final = await self._apply(event_type, obj, order_id, record)
        if final:
            await self._ledger.mark_webhook(event_id, event_type, outcome)
        log.info("webhook_applied", outcome=outcome)

    async def _payment_of(self, obj: dict[str, Any]) -> tuple[str | None, PaymentRecord | None]:
        order_id = _order_id(obj)
        if order_id is None:
            return None, None
        structlog.contextvars.bind_contextvars(order_id=order_id)
        return order_id, await self._ledger.get(order_id)

    async def apply(self, event_type: str, obj: dict[str, Any]) -> tuple[str, bool]:
        """What the event did, and whether that is final (else a redelivery looks again)."""
        order_id, record = await self._payment_of(obj)
        return await self._apply(event_type, obj, order_id, record)

    async def _apply(
        self,
        event_type: str,
        obj: dict[str, Any],
        order_id: str | None,
        record: PaymentRecord | None,
    ) -> tuple[str, bool]:
        if order_id is None:
            return "ignored: no order_id in the metadata", True
        if record is None:
            return "ignored: no payment for this order", True
        if event_type in SETTLING:
            return await self._settle(record, obj, event_type == "payment_intent.succeeded")
        if event_type == "charge.refunded":
            refunds = obj.get("refunds")
            latest = refunds.get("data", [{}])[0] if isinstance(refunds, dict) else {}
            refund_id = str(latest.get("id") or f"refund-of-{obj.get('id')}")
            if not obj.get("refunded"):
                return "partial refund: nothing recorded", True
            if await self._ledger.record_processor_refund(order_id, refund_id):
                return "refund recorded", True
            return "refund known already", True
        if event_type == "charge.dispute.created":
            if await self._ledger.record_dispute(order_id, str(obj.get("id"))):
                log.warning("payment_disputed", dispute_id=obj.get("id"), reason=obj.get("reason"))
                return "dispute recorded", True
            return "dispute known already", True
        return f"ignored: {event_type}", True

    async def _settle(
        self, record: PaymentRecord, intent: dict[str, Any], succeeded: bool
    ) -> tuple[str, bool]:
        if record.status is PaymentStatus.INPROGRESS:
            # The charge call is in flight: its own answer settles the payment.
            return "ignored: charge in flight", False
        if record.status is not PaymentStatus.ACTION_REQUIRED:
            return f"ignored: payment is {record.status.value} already", True
        intent_id = str(intent.get("id"))
        error = intent.get("last_payment_error")
        decline = None
        if not succeeded:
            error = error if isinstance(error, dict) else {}
            decline = str(error.get("decline_code") or error.get("code") or "authentication_failed")
        if not await self._ledger.settle_action(
            record.order_id, approved=succeeded, payment_intent_id=intent_id, decline_code=decline
        ):
            return "ignored: settled meanwhile", True
        await self.publish_outcome(record, succeeded, intent_id, decline)
        return ("succeeded" if succeeded else f"failed ({decline})"), True

    async def publish_outcome(
        self, record: PaymentRecord, approved: bool, intent_id: str | None, decline: str | None
    ) -> None:
        outcome: PaymentSucceeded | PaymentFailed
        if approved and intent_id:
            outcome = PaymentSucceeded(
                order_id=record.order_id,
                payment_id=intent_id,
                amount=Money(amount=record.amount or 0, currency=record.currency or "USD"),
            )
        else:
            outcome = PaymentFailed(
                order_id=record.order_id, reason="payment_declined", decline_code=decline
            )
        await self._publisher.publish(
            new_event(outcome, producer=PRODUCER, correlation_id=record.order_id)
        )
