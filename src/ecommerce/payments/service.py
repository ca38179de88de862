"""The payments worker's use cases: charge on InventoryReserved, refund on OrderCancelled.

A charge happens at most once per order (the ledger's lease plus the gateway's idempotency
key `charge-<order_id>`). On redelivery the recorded outcome is published again. A card that
needs the customer's authentication leaves the payment ACTION_REQUIRED (PaymentActionRequired
tells the order what to show); the processor's webhook settles it (`processor_events`), or the
order's cancellation (its expiry) calls it off at the processor.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ecommerce.events import (
    Envelope,
    InventoryReserved,
    Money,
    OrderCancelled,
    PaymentActionRequired,
    PaymentFailed,
    PaymentSucceeded,
    follow_up,
)
from ecommerce.payments.gateway_outcomes import ChargeResult, GatewayRejected
from ecommerce.payments.ports import PaymentGateway, PaymentLedger
from ecommerce.payments.records import PaymentRecord, PaymentStatus
from ecommerce.platform.faults import crash_point
from ecommerce.platform.logging import get_logger
from ecommerce.platform.messaging.publisher import Publisher

log = get_logger("payments")

PRODUCER = "payments"
MAX_RACE_RETRIES = 5


class PaymentInProgress(Exception):
    """Another delivery holds this order's lease; retry once it has run out.

    Transient (`platform.transient`): a worker killed mid-charge holds the lease for the
    queue's visibility timeout (60 s), longer than the backoffs of a message's five receives
    (about 15 s). Counted as a failure, a cancel arriving meanwhile would go to the DLQ, the
    charge then complete on its next delivery, and the cancelled order keep its capture, never
    refunded; requeued as transient, the cancel outlasts the lease and refunds it.
    """

    transient = True


class Payments:
    def __init__(
        self, ledger: PaymentLedger, gateway: PaymentGateway, publisher: Publisher
    ) -> None:
        self._ledger = ledger
        self._gateway = gateway
        self._publisher = publisher

    async def on_inventory_reserved(self, event: Envelope, reserved: InventoryReserved) -> None:
        order_id = reserved.order_id
        claim = await self._ledger.claim_charge(
            order_id, reserved.total.amount, reserved.total.currency
        )
        if claim.token is None:
            await self._settled_already(event, reserved, claim.record)
            return
        waiting: ChargeResult | None = None
        try:
            result = await self._gateway.charge(
                order_id=order_id,
                amount=reserved.total.amount,
                currency=reserved.total.currency.lower(),
                payment_method=reserved.payment_token,
                idempotency_key=f"charge-{order_id}",
            )
            approved, intent, decline = (
                result.approved,
                result.payment_intent_id,
                result.decline_code,
            )
            waiting = result if result.action_required else None
        except GatewayRejected as error:
            log.warning("charge_rejected", error=str(error))
            approved, intent, decline = False, None, "rejected_by_gateway"
        except BaseException:
            # The call did not finish (transient error, timeout, handler cancelled at
            # shutdown): the gateway may or may not have charged. Give the claim up, so the
            # next delivery calls again now under the same idempotency key, rather than
            # meeting a lease nobody holds and spending its receives until the DLQ.
            await self._release_claim(order_id, claim.token)
            raise
        if waiting is not None and intent is not None:
            await self._wait_for_customer(event, reserved, claim.token, waiting, intent)
            return
        if not await self._ledger.complete_charge(
            order_id, claim.token, approved=approved, payment_intent_id=intent, decline_code=decline
        ):
            await self._settled_already(event, reserved, await self._ledger.get(order_id))
            return
        log.info("charge_completed", approved=approved, decline_code=decline)
        crash_point("after_state_change")
        await self._publish_outcome(event, reserved, approved, intent, decline)

    async def _wait_for_customer(
        self,
        event: Envelope,
        reserved: InventoryReserved,
        token: str,
        result: ChargeResult,
        intent: str,
    ) -> None:
        if not await self._ledger.require_action(
            reserved.order_id,
            token,
            payment_intent_id=intent,
            next_action=json.dumps(result.next_action or {}),
            client_secret=result.client_secret or "",
        ):
            await self._settled_already(event, reserved, await self._ledger.get(reserved.order_id))
            return
        log.info("charge_requires_action", payment_intent=intent)
        crash_point("after_state_change")
        await self._publish_action(
            event, reserved.order_id, intent, result.client_secret, result.next_action
        )

    async def _publish_action(
        self,
        event: Envelope,
        order_id: str,
        intent: str,
        client_secret: str | None,
        next_action: dict[str, Any] | None,
    ) -> None:
        required = PaymentActionRequired(
            order_id=order_id,
            payment_id=intent,
            client_secret=client_secret or "",
            next_action=next_action or {},
        )
        await self._publisher.publish(follow_up(required, cause=event, producer=PRODUCER))

    async def _release_claim(self, order_id: str, token: str) -> None:
        try:
            await asyncio.shield(self._ledger.release_charge(order_id, token))
        except Exception as error:  # the lease then runs out on its own
            log.warning("charge_release_failed", error=repr(error))

    async def _settled_already(
        self, event: Envelope, reserved: InventoryReserved, record: PaymentRecord | None
    ) -> None:
        if record is None or record.status is PaymentStatus.INPROGRESS:
            raise PaymentInProgress(reserved.order_id)
        if record.status is PaymentStatus.CANCELLED:
            log.info("charge_skipped_order_cancelled")
            return
        if record.status is PaymentStatus.ACTION_REQUIRED and record.payment_intent_id:
            await self._publish_action(
                event,
                reserved.order_id,
                record.payment_intent_id,
                record.client_secret,
                json.loads(record.next_action or "{}"),
            )
            return
        log.info("charge_already_completed", approved=record.approved)
        await self._publish_outcome(
            event, reserved, bool(record.approved), record.payment_intent_id, record.decline_code
        )

    async def _publish_outcome(
        self,
        event: Envelope,
        reserved: InventoryReserved,
        approved: bool,
        intent: str | None,
        decline: str | None,
    ) -> None:
        outcome: PaymentSucceeded | PaymentFailed
        if approved and intent:
            outcome = PaymentSucceeded(
                order_id=reserved.order_id,
                payment_id=intent,
                amount=Money(amount=reserved.total.amount, currency=reserved.total.currency),
            )
        else:
            reason = "payment_failed" if decline == "rejected_by_gateway" else "payment_declined"
            outcome = PaymentFailed(order_id=reserved.order_id, reason=reason, decline_code=decline)
        await self._publisher.publish(follow_up(outcome, cause=event, producer=PRODUCER))

    async def on_order_cancelled(self, _: Envelope, cancelled: OrderCancelled) -> None:
        order_id = cancelled.order_id
        for _attempt in range(MAX_RACE_RETRIES):
            record = await self._ledger.get(order_id)
            if record is None:
                if await self._ledger.forbid_charge(order_id):
                    log.info("charge_forbidden_order_cancelled")
                    return
                continue
            if record.status is PaymentStatus.INPROGRESS:
                raise PaymentInProgress(order_id)
            if record.status is PaymentStatus.ACTION_REQUIRED:
                if await self._call_off(record):
                    return
                continue  # paid meanwhile: the ledger now says so, refund it
            if record.status is PaymentStatus.CANCELLED or not record.approved:
                log.info("nothing_to_refund", status=record.status.value)
                return
            if record.refund_status == "REFUNDED":
                log.info("already_refunded", refund_id=record.refund_id)
                return
            token = await self._ledger.claim_refund(order_id)
            if token is None:
                raise PaymentInProgress(order_id)  # another delivery is refunding
            if record.payment_intent_id is None:
                raise RuntimeError("approved charge without a payment intent")
            try:
                refund = await self._gateway.refund(
                    payment_intent_id=record.payment_intent_id,
                    idempotency_key=f"refund-{order_id}",
                )
                refund_id = refund.refund_id
            except GatewayRejected as error:
                if error.code != "charge_already_refunded":
                    raise
                refund_id = "already-refunded-at-gateway"
            await self._ledger.complete_refund(order_id, token, refund_id)
            log.info("refunded", refund_id=refund_id)
            return
        raise RuntimeError("ledger kept changing while refunding; will retry")

    async def _call_off(self, record: PaymentRecord) -> bool:
        """Cancel the intent that waits for the customer; False if it was paid meanwhile (the
        ledger then records the charge, to be refunded)."""
        order_id, intent = record.order_id, record.payment_intent_id
        if intent is None:
            raise RuntimeError("payment waiting for the customer without a payment intent")
        try:
            await self._gateway.cancel_intent(
                payment_intent_id=intent, idempotency_key=f"cancel-{order_id}"
            )
        except GatewayRejected as error:
            if error.code != "payment_intent_unexpected_state":
                raise
            status = (await self._gateway.get_intent(intent)).get("status")
            if status == "succeeded":
                await self._ledger.settle_action(
                    order_id, approved=True, payment_intent_id=intent, decline_code=None
                )
                log.warning("paid_while_cancelled", payment_intent=intent)
                return False
        await self._ledger.cancel_action(order_id)
        log.info("payment_called_off", payment_intent=intent)
        return True
