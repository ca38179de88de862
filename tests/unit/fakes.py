"""In-memory stand-ins for the ports the saga's use cases take, for unit tests without I/O.

Each keeps the contract of the real adapter it replaces (the docstrings of the Protocols in
`ecommerce.catalog.inventory.use_cases`, `ecommerce.platform.messaging.publisher`,
`ecommerce.orders.repository` and `ecommerce.payments.ports`), no more. The contract tests in
tests/integration (test_*_contract.py) run the same assertions on a fake and on its adapter.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ecommerce.catalog.inventory.reservation import (
    HOLDS_STOCK,
    Line,
    Reservation,
    ReservationStatus,
)
from ecommerce.catalog.inventory.reservation_store import ReserveResult
from ecommerce.events import Envelope
from ecommerce.gateway_sim.models import AUTHENTICATION_REQUIRED, TEST_CARDS
from ecommerce.orders.domain import Order, Status, Transition
from ecommerce.orders.repository import OrderChanges, StoredResponse
from ecommerce.payments.gateway_outcomes import ChargeResult, GatewayRejected, RefundResult
from ecommerce.payments.records import Claim, PaymentRecord, PaymentStatus
from ecommerce.platform.messaging.publisher import Outgoing


@dataclass
class RecordingPublisher:
    """Keeps what was published, in order."""

    events: list[Envelope] = field(default_factory=list)

    async def publish(self, event: Envelope, trace_header: str | None = None) -> None:
        self.events.append(event)

    def types(self) -> list[str]:
        return [event.type for event in self.events]


@dataclass
class InMemoryReservations:
    """Stock per product and one reservation per order, changed all-or-nothing."""

    stock: dict[str, int]
    retention_seconds: int = 30 * 24 * 3600
    reservations: dict[str, Reservation] = field(default_factory=dict)

    async def get(self, order_id: str) -> Reservation | None:
        return self.reservations.get(order_id)

    async def reserve(self, order_id: str, lines: Sequence[Line]) -> ReserveResult:
        if order_id in self.reservations:
            return ReserveResult(reserved=False, existing=True)
        short = tuple(
            index
            for index, line in enumerate(lines)
            if self.stock.get(line.product_id, 0) < line.quantity
        )
        if short:
            return ReserveResult(reserved=False, short=short)
        for line in lines:
            self.stock[line.product_id] -= line.quantity
        self.reservations[order_id] = Reservation(
            order_id, ReservationStatus.RESERVED, tuple(lines)
        )
        return ReserveResult(reserved=True)

    async def record(
        self,
        order_id: str,
        status: ReservationStatus,
        lines: Sequence[Line],
        rejected: Sequence[str] = (),
    ) -> bool:
        if order_id in self.reservations:
            return False
        self.reservations[order_id] = Reservation(order_id, status, tuple(lines), tuple(rejected))
        return True

    async def move(self, order_id: str, frm: ReservationStatus, to: ReservationStatus) -> bool:
        found = self.reservations.get(order_id)
        if found is None or found.status is not frm:
            return False
        self.reservations[order_id] = Reservation(
            order_id, to, found.lines, found.rejected_products
        )
        return True

    async def release(self, reservation: Reservation) -> bool:
        found = self.reservations.get(reservation.order_id)
        if (
            found is None
            or found.status is not reservation.status
            or found.status not in HOLDS_STOCK
        ):
            return False
        for line in found.lines:
            self.stock[line.product_id] += line.quantity
        self.reservations[reservation.order_id] = Reservation(
            found.order_id, ReservationStatus.RELEASED, found.lines
        )
        return True


# --- orders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    event_type: str
    order_id: str
    outcome: str


@dataclass
class InMemoryOrders:
    """The orders, their history, the Idempotency-Keys, the outbox and the processed events.

    A `changing` block holds the order's lock and works on copies; they become the stored
    state when the block ends, and are dropped if it raises (a rolled-back transaction).
    """

    orders: dict[str, Order] = field(default_factory=dict)
    keys: dict[tuple[str, str], StoredResponse] = field(default_factory=dict)
    outbox: list[Outgoing] = field(default_factory=list)
    processed: dict[str, Processed] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def find_by_key(self, customer_id: str, key: str) -> StoredResponse | None:
        return self.keys.get((customer_id, key))

    async def place(
        self,
        order: Order,
        *,
        key: str,
        fingerprint: str,
        response: dict[str, Any],
        events: Sequence[Outgoing],
    ) -> StoredResponse | None:
        earlier = self.keys.get((order.customer_id, key))
        if earlier is not None:
            return earlier
        self.keys[(order.customer_id, key)] = StoredResponse(
            fingerprint, order.id, copy.deepcopy(response)
        )
        self.orders[order.id] = copy.deepcopy(order)
        self.outbox.extend(events)
        return None

    async def get(self, order_id: str) -> Order | None:
        found = self.orders.get(order_id) if _is_uuid(order_id) else None
        return None if found is None else copy.deepcopy(found)

    async def list_for(
        self, customer_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[Order]:
        mine = sorted(
            (order for order in self.orders.values() if order.customer_id == customer_id),
            key=lambda order: (order.created_at, order.id),
            reverse=True,
        )
        if after is not None:
            mine = [order for order in mine if (order.created_at, order.id) < after]
        return [replace(copy.deepcopy(order), history=[]) for order in mine[:limit]]

    async def waiting_since_before(self, cutoff: datetime, limit: int) -> list[str]:
        waiting = sorted(
            (
                order
                for order in self.orders.values()
                if order.status is Status.PAYMENT_ACTION_REQUIRED and order.updated_at < cutoff
            ),
            key=lambda order: order.updated_at,
        )
        return [order.id for order in waiting[:limit]]

    @asynccontextmanager
    async def changing(self, order_id: str) -> AsyncIterator[OrderChanges]:
        lock = self._locks.setdefault(order_id, asyncio.Lock())
        async with lock:
            change = InMemoryOrderChange(self, order_id)
            yield change
            change.commit()

    def outbox_types(self) -> list[str]:
        return [row.event_type for row in self.outbox]


class InMemoryOrderChange:
    def __init__(self, orders: InMemoryOrders, order_id: str) -> None:
        self._orders = orders
        self._order_id = order_id
        self._saved: Order | None = None
        self._history: list[Transition] = []
        self._outbox: list[Outgoing] = []
        self._processed: dict[str, Processed] = {}

    async def load(self) -> Order | None:
        found = await self._orders.get(self._order_id)
        return None if found is None else replace(found, history=[])

    async def already_processed(self, event_id: str) -> bool:
        return event_id in self._orders.processed or event_id in self._processed

    async def mark_processed(self, event_id: str, event_type: str, outcome: str) -> None:
        if await self.already_processed(event_id):
            raise KeyError(f"event {event_id} is marked already")
        self._processed[event_id] = Processed(event_type, self._order_id, outcome[:500])

    async def save(
        self, order: Order, new: Sequence[Transition], events: Sequence[Outgoing]
    ) -> None:
        self._saved = copy.deepcopy(order)
        self._history.extend(new)
        self._outbox.extend(events)

    def commit(self) -> None:
        stored = self._orders.orders.get(self._order_id)
        if self._saved is not None and stored is not None:
            # What the UPDATE sets; the rest of the row stays as placed.
            stored.status = self._saved.status
            stored.reason = self._saved.reason
            stored.version = self._saved.version
            stored.updated_at = self._saved.updated_at
            stored.payment_action = self._saved.payment_action
            stored.history.extend(self._history)
        self._orders.outbox.extend(self._outbox)
        self._orders.processed.update(self._processed)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# --- payments -----------------------------------------------------------------------------


@dataclass
class _Payment:
    """One order's ledger entry: its record, and the leases the record does not show."""

    record: PaymentRecord
    claim: str | None = None
    lease_until: int | None = None
    refund_claim: str | None = None
    refund_lease_until: int | None = None


@dataclass
class InMemoryLedger:
    """One entry per order, each change conditional as the DynamoDB ledger's. `clock` gives
    the epoch seconds the leases are compared with."""

    lease_seconds: int = 60
    clock: Callable[[], float] = time.time
    payments: dict[str, _Payment] = field(default_factory=dict)
    webhooks: dict[str, tuple[str, str]] = field(default_factory=dict)

    def _now(self) -> int:
        return int(self.clock())

    def _status(self, order_id: str) -> PaymentStatus | None:
        found = self.payments.get(order_id)
        return None if found is None else found.record.status

    async def get(self, order_id: str) -> PaymentRecord | None:
        found = self.payments.get(order_id)
        return None if found is None else found.record

    async def claim_charge(self, order_id: str, amount: int, currency: str) -> Claim:
        now = self._now()
        found = self.payments.get(order_id)
        if found is not None and not (
            found.record.status is PaymentStatus.INPROGRESS
            and found.lease_until is not None
            and found.lease_until < now
        ):
            return Claim(None, found.record)
        token = uuid.uuid4().hex
        self.payments[order_id] = _Payment(
            PaymentRecord(order_id, PaymentStatus.INPROGRESS, amount=amount, currency=currency),
            claim=token,
            lease_until=now + self.lease_seconds,
        )
        return Claim(token)

    def _holding(self, order_id: str, token: str) -> _Payment | None:
        found = self.payments.get(order_id)
        if found is None or found.record.status is not PaymentStatus.INPROGRESS:
            return None
        return found if found.claim == token else None

    async def complete_charge(
        self,
        order_id: str,
        token: str,
        *,
        approved: bool,
        payment_intent_id: str | None,
        decline_code: str | None,
    ) -> bool:
        found = self._holding(order_id, token)
        if found is None:
            return False
        found.record = replace(
            found.record,
            status=PaymentStatus.COMPLETED,
            approved=approved,
            payment_intent_id=payment_intent_id or None,
            decline_code=decline_code or None,
        )
        found.lease_until = None
        return True

    async def release_charge(self, order_id: str, token: str) -> bool:
        found = self._holding(order_id, token)
        if found is None:
            return False
        found.lease_until = 0
        return True

    async def forbid_charge(self, order_id: str) -> bool:
        if order_id in self.payments:
            return False
        self.payments[order_id] = _Payment(PaymentRecord(order_id, PaymentStatus.CANCELLED))
        return True

    async def claim_refund(self, order_id: str) -> str | None:
        now = self._now()
        found = self.payments.get(order_id)
        if (
            found is None
            or found.record.status is not PaymentStatus.COMPLETED
            or found.record.approved is not True
        ):
            return None
        refund = found.record.refund_status
        lease = found.refund_lease_until
        if refund is not None and not (refund == "REFUNDING" and lease is not None and lease < now):
            return None
        token = uuid.uuid4().hex
        found.record = replace(found.record, refund_status="REFUNDING")
        found.refund_claim, found.refund_lease_until = token, now + self.lease_seconds
        return token

    async def complete_refund(self, order_id: str, token: str, refund_id: str) -> bool:
        found = self.payments.get(order_id)
        if (
            found is None
            or found.record.refund_status != "REFUNDING"
            or found.refund_claim != token
        ):
            return False
        found.record = replace(found.record, refund_status="REFUNDED", refund_id=refund_id)
        found.refund_lease_until = None
        return True

    async def require_action(
        self,
        order_id: str,
        token: str,
        *,
        payment_intent_id: str,
        next_action: str,
        client_secret: str,
    ) -> bool:
        found = self._holding(order_id, token)
        if found is None:
            return False
        found.record = replace(
            found.record,
            status=PaymentStatus.ACTION_REQUIRED,
            payment_intent_id=payment_intent_id or None,
            next_action=next_action or None,
            client_secret=client_secret or None,
        )
        found.lease_until = None
        return True

    async def settle_action(
        self, order_id: str, *, approved: bool, payment_intent_id: str, decline_code: str | None
    ) -> bool:
        found = self.payments.get(order_id)
        if (
            found is None
            or found.record.status is not PaymentStatus.ACTION_REQUIRED
            or found.record.payment_intent_id != payment_intent_id
        ):
            return False
        found.record = replace(
            found.record,
            status=PaymentStatus.COMPLETED,
            approved=approved,
            decline_code=decline_code or None,
            next_action=None,
            client_secret=None,
        )
        return True

    async def cancel_action(self, order_id: str) -> bool:
        found = self.payments.get(order_id)
        if found is None or found.record.status is not PaymentStatus.ACTION_REQUIRED:
            return False
        found.record = replace(
            found.record, status=PaymentStatus.CANCELLED, next_action=None, client_secret=None
        )
        return True

    async def record_processor_refund(self, order_id: str, refund_id: str) -> bool:
        found = self.payments.get(order_id)
        if (
            found is None
            or found.record.status is not PaymentStatus.COMPLETED
            or found.record.approved is not True
            or found.record.refund_status == "REFUNDED"
        ):
            return False
        found.record = replace(found.record, refund_status="REFUNDED", refund_id=refund_id)
        return True

    async def record_dispute(self, order_id: str, dispute_id: str) -> bool:
        found = self.payments.get(order_id)
        if found is None or found.record.dispute_id == dispute_id:
            return False
        found.record = replace(found.record, dispute_id=dispute_id)
        return True

    async def webhook_seen(self, event_id: str) -> bool:
        return event_id in self.webhooks

    async def mark_webhook(self, event_id: str, event_type: str, outcome: str) -> None:
        self.webhooks[event_id] = (event_type, outcome[:500])


@dataclass
class _Intent:
    id: str
    order_id: str
    amount: int
    currency: str
    status: str
    decline_code: str | None = None
    refund_id: str | None = None


@dataclass
class InMemoryGateway:
    """The processor, as the simulator behaves for its test cards: `tok_visa` succeeds, the
    decline cards decline, the 3-D Secure cards wait for `authenticate`. A call under an
    idempotency key used before answers as the first did (and is refused if its parameters
    differ); `failures` are raised, in turn,
    by the next charge calls instead of charging (a timeout, a 5xx)."""

    intents: dict[str, _Intent] = field(default_factory=dict)
    failures: list[BaseException] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _answers: dict[str, object] = field(default_factory=dict)
    _requests: dict[str, tuple[object, ...]] = field(default_factory=dict)

    async def charge(
        self,
        *,
        order_id: str,
        amount: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
    ) -> ChargeResult:
        self.calls.append(f"charge {idempotency_key}")
        if self.failures:
            raise self.failures.pop(0)
        self._same_request(idempotency_key, ("charge", order_id, amount, currency, payment_method))
        intent = self._answers.get(idempotency_key)
        if not isinstance(intent, _Intent):
            if payment_method not in TEST_CARDS:
                raise GatewayRejected(f"no such card {payment_method}", status=400)
            decline = TEST_CARDS[payment_method]
            status = (
                "requires_action"
                if payment_method in AUTHENTICATION_REQUIRED
                else "requires_payment_method"
                if decline
                else "succeeded"
            )
            intent = _Intent(
                f"pi_{uuid.uuid4().hex[:24]}", order_id, amount, currency, status, decline
            )
            self.intents[intent.id] = intent
            self._answers[idempotency_key] = intent
        return _result(intent)

    def _same_request(self, key: str, request: tuple[object, ...]) -> None:
        """A key is bound to the request first sent under it, as the processor's are."""
        first = self._requests.setdefault(key, request)
        if first != request:
            raise GatewayRejected(
                f"key {key} was used with other parameters",
                status=400,
                error_type="idempotency_error",
            )

    def charged(self, order_id: str) -> list[str]:
        """The ids of the intents that took this order's money."""
        return [
            i.id
            for i in self.intents.values()
            if i.order_id == order_id and i.status == "succeeded"
        ]

    def authenticate(self, intent_id: str, *, succeed: bool) -> None:
        """The customer passes (or fails) the 3-D Secure challenge."""
        intent = self.intents[intent_id]
        if intent.status != "requires_action":
            raise GatewayRejected("intent is not waiting for the customer", status=400)
        intent.status = "succeeded" if succeed else "requires_payment_method"
        intent.decline_code = None if succeed else "authentication_failed"

    async def refund(
        self, *, payment_intent_id: str, idempotency_key: str, amount: int | None = None
    ) -> RefundResult:
        self.calls.append(f"refund {idempotency_key}")
        self._same_request(idempotency_key, ("refund", payment_intent_id, amount))
        answer = self._answers.get(idempotency_key)
        if isinstance(answer, RefundResult):
            return answer
        intent = self.intents.get(payment_intent_id)
        if intent is None or intent.status != "succeeded":
            raise GatewayRejected("nothing to refund", status=400, code="resource_missing")
        if intent.refund_id is not None:
            raise GatewayRejected("refunded already", status=400, code="charge_already_refunded")
        intent.refund_id = f"re_{uuid.uuid4().hex[:24]}"
        result = RefundResult(intent.refund_id, amount or intent.amount, "succeeded")
        self._answers[idempotency_key] = result
        return result

    async def cancel_intent(self, *, payment_intent_id: str, idempotency_key: str) -> str:
        self.calls.append(f"cancel {idempotency_key}")
        intent = self.intents[payment_intent_id]
        if intent.status == "succeeded":
            raise GatewayRejected(
                "intent succeeded", status=400, code="payment_intent_unexpected_state"
            )
        intent.status = "canceled"
        return intent.status

    async def get_intent(self, payment_intent_id: str) -> dict[str, Any]:
        intent = self.intents[payment_intent_id]
        return {"id": intent.id, "status": intent.status, "metadata": {"order_id": intent.order_id}}


def _result(intent: _Intent) -> ChargeResult:
    if intent.status == "requires_action":
        return ChargeResult(
            False,
            intent.id,
            None,
            action_required=True,
            client_secret=f"{intent.id}_secret",
            next_action={
                "type": "redirect_to_url",
                "redirect_to_url": {"url": f"https://processor.test/authenticate/{intent.id}"},
            },
        )
    if intent.status == "succeeded":
        return ChargeResult(True, intent.id, None)
    return ChargeResult(False, intent.id, intent.decline_code)
