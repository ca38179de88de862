"""In-memory state: one account per API key, each with its payment intents and refunds.

Everything here is synchronous, so each operation is atomic on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from ecommerce.gateway_sim.errors import invalid_request, no_such
from ecommerce.gateway_sim.models import (
    DECLINE_MESSAGES,
    TEST_CARDS,
    PaymentIntent,
    Refund,
    new_id,
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
    _intent_by_charge: dict[str, str] = field(default_factory=dict)

    def create_payment_intent(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: str | None,
        confirm: bool,
        metadata: dict[str, str],
        description: str | None,
    ) -> PaymentIntent:
        """Create (and, with `confirm`, charge) an intent. A decline is not an error here: the
        intent exists with status `requires_payment_method` and a `last_payment_error`."""
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
            if decline_code is None:
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
        return self.intents.add(intent)

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
        return self.refunds.add(refund)


class GatewayState:
    """All accounts of the running simulator, one per API key."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}

    def account(self, api_key: str) -> Account:
        return self._accounts.setdefault(api_key, Account())


__all__ = ["Account", "GatewayState", "Objects"]
