"""In-memory state: one account per API key, each with its payment intents and refunds.

Everything here is synchronous, so each operation is atomic on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from ecommerce.gateway_sim.errors import JSONObject, invalid_request, no_such
from ecommerce.gateway_sim.events import Event, WebhookEndpoint
from ecommerce.gateway_sim.models import (
    AUTHENTICATION_FAILURE,
    AUTHENTICATION_REQUIRED,
    DECLINE_MESSAGES,
    DISPUTED,
    TEST_CARDS,
    Dispute,
    PaymentIntent,
    Refund,
    new_id,
)

Notify = Callable[[WebhookEndpoint, Event], None]
CANCELABLE = frozenset(
    {"requires_payment_method", "requires_confirmation", "requires_action", "processing"}
)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


class Objects(Generic[T]):
    """Objects by id, listed newest first with Stripe's cursor pagination."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._by_id: dict[str, T] = {}  # insertion order is creation order

    def add(self, item: T) -> T:
        self._by_id[item.id] = item
        return item

    def get(self, object_id: str) -> T | None:
        return self._by_id.get(object_id)

    def page(
        self,
        *,
        limit: int,
        starting_after: str | None = None,
        ending_before: str | None = None,
        where: Callable[[T], bool] | None = None,
    ) -> tuple[list[T], bool]:
        """One page and whether more exist beyond it, in the direction of travel.

        Cursors are positions in the whole collection, so they work under a filter too."""
        newest_first = list(reversed(self._by_id.values()))
        cursor = starting_after or ending_before
        if cursor is not None:
            if cursor not in self._by_id:
                param = "starting_after" if starting_after else "ending_before"
                raise no_such(self.kind, cursor, param=param)
            at = next(i for i, item in enumerate(newest_first) if item.id == cursor)
            newest_first = newest_first[at + 1 :] if starting_after else newest_first[:at]
        matching = [item for item in newest_first if where is None or where(item)]
        if ending_before is not None:  # the page just before the cursor, still newest first
            return matching[-limit:], len(matching) > limit
        return matching[:limit], len(matching) > limit


@dataclass
class Account:
    intents: Objects[PaymentIntent] = field(
        default_factory=lambda: Objects[PaymentIntent]("payment_intent")
    )
    refunds: Objects[Refund] = field(default_factory=lambda: Objects[Refund]("refund"))
    disputes: Objects[Dispute] = field(default_factory=lambda: Objects[Dispute]("dispute"))
    events: Objects[Event] = field(default_factory=lambda: Objects[Event]("event"))
    endpoints: Objects[WebhookEndpoint] = field(
        default_factory=lambda: Objects[WebhookEndpoint]("webhook_endpoint")
    )
    notify: Notify | None = None
    _intent_by_charge: dict[str, str] = field(default_factory=dict)

    def emit(self, event_type: str, data_object: JSONObject) -> Event:
        """Record an event and hand it to every endpoint that subscribed to its type."""
        event = self.events.add(Event(event_type, data_object))
        for endpoint in self.endpoints.page(limit=100)[0]:
            if endpoint.wants(event_type) and self.notify is not None:
                self.notify(endpoint, event)
        return event

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: str | None,
        confirm: bool,
        metadata: dict[str, str],
        description: str | None,
        authenticate_url: str = "/test/authenticate",
        return_url: str | None = None,
    ) -> PaymentIntent:
        """Create (and, with `confirm`, charge) an intent. A decline is not an error here: the
        intent exists with status `requires_payment_method` and a `last_payment_error`. A
        card that needs authentication leaves it in `requires_action`, its `next_action` the
        page (`authenticate_url/<id>`) where the customer passes or fails the challenge."""
        if payment_method is not None and payment_method not in TEST_CARDS:
            raise no_such("PaymentMethod", payment_method, param="payment_method")
        if confirm and payment_method is None:
            raise invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        intent = PaymentIntent(
            amount=amount,
            currency=currency,
            payment_method=payment_method,
            metadata=metadata,
            description=description,
            status="requires_confirmation" if payment_method else "requires_payment_method",
        )
        if confirm and payment_method is not None:
            intent.latest_charge = new_id("ch")
            self._intent_by_charge[intent.latest_charge] = intent.id
            decline_code = TEST_CARDS[payment_method]
            if payment_method in AUTHENTICATION_REQUIRED:
                intent.status = "requires_action"
                intent.next_action = {
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "url": f"{authenticate_url}/{intent.id}",
                        "return_url": return_url,
                    },
                }
            elif decline_code is None:
                intent.status = "succeeded"
            else:
                intent.status = "requires_payment_method"
                intent.last_payment_error = {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": decline_code,
                    "message": DECLINE_MESSAGES[decline_code],
                    "charge": intent.latest_charge,
                    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                }
        self.intents.add(intent)
        if confirm:
            self._emit_intent(intent)
        return intent

    def _emit_intent(self, intent: PaymentIntent) -> None:
        event_type = {
            "succeeded": "payment_intent.succeeded",
            "requires_action": "payment_intent.requires_action",
            "requires_payment_method": "payment_intent.payment_failed",
            "canceled": "payment_intent.canceled",
        }.get(intent.status)
        if event_type is not None:
            self.emit(event_type, intent.to_json())
        if intent.status == "succeeded" and intent.payment_method in DISPUTED:
            assert intent.latest_charge is not None
            dispute = self.disputes.add(
                Dispute(intent.amount, intent.currency, intent.latest_charge, intent.id)
            )
            self.emit("charge.dispute.created", dispute.to_json())

    def authenticate(self, intent: PaymentIntent, *, passed: bool) -> PaymentIntent:
        """The customer's answer to the 3-D Secure challenge."""
        if intent.status != "requires_action":
            raise invalid_request(
                f"This PaymentIntent's status is {intent.status}; only one that requires "
                "action can be authenticated.",
                code="payment_intent_unexpected_state",
            )
        intent.next_action = None
        if passed:
            intent.status = "succeeded"
        else:
            intent.status = "requires_payment_method"
            intent.last_payment_error = {**AUTHENTICATION_FAILURE, "charge": intent.latest_charge}
        self._emit_intent(intent)
        return intent

    def cancel(self, intent: PaymentIntent, *, reason: str | None, now: int) -> PaymentIntent:
        if intent.status not in CANCELABLE:
            raise invalid_request(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent.status}. Only a PaymentIntent with one of the following statuses may "
                f"be canceled: {', '.join(sorted(CANCELABLE))}.",
                code="payment_intent_unexpected_state",
            )
        intent.status = "canceled"
        intent.next_action = None
        intent.canceled_at = now
        intent.cancellation_reason = reason
        self._emit_intent(intent)
        return intent

    def intent_for_charge(self, charge_id: str) -> PaymentIntent | None:
        intent_id = self._intent_by_charge.get(charge_id)
        return self.intents.get(intent_id) if intent_id else None

    def refund(
        self,
        intent: PaymentIntent,
        *,
        amount: int | None,
        reason: str | None,
        metadata: dict[str, str],
    ) -> Refund:
        """Refund `amount` (default: all that remains). Raises a `StripeError` on refusal."""
        if intent.status != "succeeded":
            raise invalid_request(
                f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
                code="payment_intent_unexpected_state",
                param="payment_intent",
            )
        remaining = intent.amount_refundable
        if remaining == 0:
            raise invalid_request(
                f"Charge {intent.latest_charge} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount is not None and amount > remaining:
            raise invalid_request(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                code="amount_too_large",
                param="amount",
            )
        refund = Refund(
            amount=remaining if amount is None else amount,
            currency=intent.currency,
            payment_intent=intent.id,
            charge=intent.latest_charge,
            reason=reason,
            metadata=metadata,
        )
        intent.amount_refunded += refund.amount
        self.refunds.add(refund)
        refunds = {"object": "list", "data": [refund.to_json()], "has_more": False}
        self.emit("charge.refunded", {**intent.charge_json(), "refunds": refunds})
        return refund


class GatewayState:
    """All accounts of the running simulator, one per API key."""

    def __init__(self, notify: Notify | None = None) -> None:
        self._accounts: dict[str, Account] = {}
        self._notify = notify

    def account(self, api_key: str) -> Account:
        if api_key not in self._accounts:
            self._accounts[api_key] = Account(notify=self._notify)
        return self._accounts[api_key]

    def intent_anywhere(self, intent_id: str) -> tuple[Account, PaymentIntent] | None:
        """The intent and its account, whichever account made it (the test pages of the
        customer's browser carry no API key)."""
        for account in self._accounts.values():
            intent = account.intents.get(intent_id)
            if intent is not None:
                return account, intent
        return None


__all__ = ["Account", "GatewayState", "Objects"]
