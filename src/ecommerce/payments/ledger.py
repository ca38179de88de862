"""The payments ledger: one DynamoDB item per order, `pk = PAYMENT#<order_id>`.

It makes a charge happen at most once per order. A worker claims the charge with a lease
(INPROGRESS until `lease_until`, tied to the queue's visibility timeout), calls the gateway
with the order's idempotency key, then records COMPLETED with the outcome. A worker that dies
mid-charge leaves a lease that runs out; the next delivery takes over with the same key, so the
gateway does not charge twice. Refunds are claimed the same way.

It is the `PaymentLedger` of `ecommerce.payments.ports`, whose contract it keeps.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ecommerce.payments.records import Claim, PaymentRecord, PaymentStatus
from ecommerce.platform.dynamodb import condition_failed, number_of, text_of, written
from ecommerce.resources import physical

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["Claim", "Ledger", "PaymentRecord", "PaymentStatus", "is_payment"]

WEBHOOK_MARK_RETENTION_SECONDS = 30 * 24 * 3600
"""How long a processed webhook's mark is kept (the table's TTL deletes it after)."""


def _key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PAYMENT#{order_id}"}}


class Ledger:
    def __init__(self, dynamodb: DynamoDBClient, lease_seconds: int) -> None:
        self._db = dynamodb
        self._table = physical("payments")
        self._lease = lease_seconds

    async def get(self, order_id: str) -> PaymentRecord | None:
        response = await self._db.get_item(
            TableName=self._table, Key=_key(order_id), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else _record(item)

    async def claim_charge(self, order_id: str, amount: int, currency: str) -> Claim:
        token = uuid.uuid4().hex
        now = int(time.time())
        try:
            await self._db.put_item(
                TableName=self._table,
                Item={
                    **_key(order_id),
                    "order_id": {"S": order_id},
                    "status": {"S": PaymentStatus.INPROGRESS.value},
                    "claim": {"S": token},
                    "lease_until": {"N": str(now + self._lease)},
                    "amount": {"N": str(amount)},
                    "currency": {"S": currency},
                },
                ConditionExpression="attribute_not_exists(pk)"
                " OR (#s = :inprogress AND lease_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":inprogress": {"S": PaymentStatus.INPROGRESS.value},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as error:
            if not condition_failed(error):
                raise
            return Claim(None, await self.get(order_id))
        return Claim(token)

    async def complete_charge(
        self,
        order_id: str,
        token: str,
        *,
        approved: bool,
        payment_intent_id: str | None,
        decline_code: str | None,
    ) -> bool:
        values: dict[str, Any] = {
            ":completed": {"S": PaymentStatus.COMPLETED.value},
            ":inprogress": {"S": PaymentStatus.INPROGRESS.value},
            ":claim": {"S": token},
            ":approved": {"BOOL": approved},
            ":pi": {"S": payment_intent_id or ""},
            ":decline": {"S": decline_code or ""},
        }
        return await written(
            self._db.update_item(
                TableName=self._table,
                Key=_key(order_id),
                UpdateExpression="SET #s = :completed, approved = :approved,"
                " payment_intent_id = :pi, decline_code = :decline REMOVE lease_until",
                ConditionExpression="#s = :inprogress AND claim = :claim",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        )

    async def release_charge(self, order_id: str, token: str) -> bool:
        """Give up a claim whose gateway call did not finish, so that the next delivery may
        claim at once (and call again under the same idempotency key); False if not ours."""
        return await written(
            self._db.update_item(
                TableName=self._table,
                Key=_key(order_id),
                UpdateExpression="SET lease_until = :expired",
                ConditionExpression="#s = :inprogress AND claim = :claim",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":expired": {"N": "0"},
                    ":inprogress": {"S": PaymentStatus.INPROGRESS.value},
                    ":claim": {"S": token},
                },
            )
        )

    async def forbid_charge(self, order_id: str) -> bool:
        """Record that the order was cancelled before any charge; False if a record exists."""
        return await written(
            self._db.put_item(
                TableName=self._table,
                Item={
                    **_key(order_id),
                    "order_id": {"S": order_id},
                    "status": {"S": PaymentStatus.CANCELLED.value},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        )

    async def claim_refund(self, order_id: str) -> str | None:
        token = uuid.uuid4().hex
        now = int(time.time())
        try:
            await self._db.update_item(
                TableName=self._table,
                Key=_key(order_id),
                UpdateExpression="SET refund_status = :refunding, refund_claim = :claim,"
                " refund_lease_until = :until",
                ConditionExpression="#s = :completed AND approved = :yes AND"
                " (attribute_not_exists(refund_status)"
                " OR (refund_status = :refunding AND refund_lease_until < :now))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":refunding": {"S": "REFUNDING"},
                    ":claim": {"S": token},
                    ":until": {"N": str(now + self._lease)},
                    ":completed": {"S": PaymentStatus.COMPLETED.value},
                    ":yes": {"BOOL": True},
                    ":now": {"N": str(now)},
                },
            )
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return token

    async def complete_refund(self, order_id: str, token: str, refund_id: str) -> bool:
        return await written(
            self._db.update_item(
                TableName=self._table,
                Key=_key(order_id),
                UpdateExpression="SET refund_status = :refunded, refund_id = :id"
                " REMOVE refund_lease_until",
                ConditionExpression="refund_status = :refunding AND refund_claim = :claim",
                ExpressionAttributeValues={
                    ":refunded": {"S": "REFUNDED"},
                    ":refunding": {"S": "REFUNDING"},
                    ":claim": {"S": token},
                    ":id": {"S": refund_id},
                },
            )
        )

    async def require_action(
        self,
        order_id: str,
        token: str,
        *,
        payment_intent_id: str,
        next_action: str,
        client_secret: str,
    ) -> bool:
        """The charge call came back `requires_action`: wait for the customer."""
        return await self._update(
            order_id,
            "SET #s = :action, payment_intent_id = :pi, next_action = :next,"
            " client_secret = :secret REMOVE lease_until",
            "#s = :inprogress AND claim = :claim",
            {
                ":action": {"S": PaymentStatus.ACTION_REQUIRED.value},
                ":inprogress": {"S": PaymentStatus.INPROGRESS.value},
                ":claim": {"S": token},
                ":pi": {"S": payment_intent_id},
                ":next": {"S": next_action},
                ":secret": {"S": client_secret},
            },
        )

    async def settle_action(
        self, order_id: str, *, approved: bool, payment_intent_id: str, decline_code: str | None
    ) -> bool:
        """ACTION_REQUIRED -> COMPLETED, from the processor's webhook; False if it was not
        waiting (settled before, or cancelled): a payment never moves backwards."""
        return await self._update(
            order_id,
            "SET #s = :completed, approved = :approved, decline_code = :decline"
            " REMOVE next_action, client_secret",
            "#s = :action AND payment_intent_id = :pi",
            {
                ":completed": {"S": PaymentStatus.COMPLETED.value},
                ":action": {"S": PaymentStatus.ACTION_REQUIRED.value},
                ":approved": {"BOOL": approved},
                ":decline": {"S": decline_code or ""},
                ":pi": {"S": payment_intent_id},
            },
        )

    async def cancel_action(self, order_id: str) -> bool:
        """ACTION_REQUIRED -> CANCELLED: the order went away before the customer authenticated."""
        return await self._update(
            order_id,
            "SET #s = :cancelled REMOVE next_action, client_secret",
            "#s = :action",
            {
                ":cancelled": {"S": PaymentStatus.CANCELLED.value},
                ":action": {"S": PaymentStatus.ACTION_REQUIRED.value},
            },
        )

    async def record_processor_refund(self, order_id: str, refund_id: str) -> bool:
        """A refund the processor reports that the ledger does not know yet (made in its
        dashboard, or ours not recorded before a crash)."""
        return await self._update(
            order_id,
            "SET refund_status = :refunded, refund_id = :id",
            "#s = :completed AND approved = :yes AND"
            " (attribute_not_exists(refund_status) OR refund_status <> :refunded)",
            {
                ":refunded": {"S": "REFUNDED"},
                ":id": {"S": refund_id},
                ":completed": {"S": PaymentStatus.COMPLETED.value},
                ":yes": {"BOOL": True},
            },
        )

    async def record_dispute(self, order_id: str, dispute_id: str) -> bool:
        return await self._update(
            order_id,
            "SET dispute_id = :id",
            "attribute_exists(pk) AND (attribute_not_exists(dispute_id) OR dispute_id <> :id)",
            {":id": {"S": dispute_id}},
            names=False,
        )

    async def webhook_seen(self, event_id: str) -> bool:
        response = await self._db.get_item(
            TableName=self._table, Key=_webhook_key(event_id), ConsistentRead=True
        )
        return "Item" in response

    async def mark_webhook(self, event_id: str, event_type: str, outcome: str) -> None:
        """Remember a processed webhook event (its id is the idempotency key)."""
        await self._db.put_item(
            TableName=self._table,
            Item={
                **_webhook_key(event_id),
                "event_type": {"S": event_type},
                "outcome": {"S": outcome[:500]},
                "at": {"N": str(int(time.time()))},
                # Longer than the processor retries a webhook (Stripe: 3 days).
                "expires_at": {"N": str(int(time.time()) + WEBHOOK_MARK_RETENTION_SECONDS)},
            },
        )

    async def _update(
        self,
        order_id: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        *,
        names: bool = True,
    ) -> bool:
        try:
            if names:
                await self._db.update_item(
                    TableName=self._table,
                    Key=_key(order_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues=values,
                )
            else:
                await self._db.update_item(
                    TableName=self._table,
                    Key=_key(order_id),
                    UpdateExpression=update,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                )
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True


def _webhook_key(event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"WEBHOOK#{event_id}"}}


def is_payment(item: dict[str, Any]) -> bool:
    """A payment's item (the table also holds the processed webhooks' marks)."""
    return str(item.get("pk", {}).get("S", "")).startswith("PAYMENT#")


def _record(item: dict[str, Any]) -> PaymentRecord:
    def text(name: str) -> str | None:
        return text_of(item, name) or None

    approved = item.get("approved", {}).get("BOOL")
    return PaymentRecord(
        order_id=item["order_id"]["S"],
        status=PaymentStatus(item["status"]["S"]),
        approved=approved if isinstance(approved, bool) else None,
        payment_intent_id=text("payment_intent_id"),
        decline_code=text("decline_code"),
        amount=number_of(item, "amount"),
        currency=text("currency"),
        refund_status=text("refund_status"),
        refund_id=text("refund_id"),
        dispute_id=text("dispute_id"),
        next_action=text("next_action"),
        client_secret=text("client_secret"),
    )
