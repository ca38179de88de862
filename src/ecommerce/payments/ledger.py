"""The payments ledger: one DynamoDB item per order, `pk = PAYMENT#<order_id>`.

It makes a charge happen at most once per order. A worker claims the charge with a lease
(INPROGRESS until `lease_until`, tied to the queue's visibility timeout), calls the gateway
with the order's idempotency key, then records COMPLETED with the outcome. A worker that dies
mid-charge leaves a lease that runs out; the next delivery takes over with the same key, so the
gateway does not charge twice. Refunds are claimed the same way.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from ecommerce.resources import physical


class PaymentStatus(StrEnum):
    INPROGRESS = "INPROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    """The order was cancelled before any charge: none may happen later."""


@dataclass(frozen=True)
class PaymentRecord:
    order_id: str
    status: PaymentStatus
    approved: bool | None = None
    payment_intent_id: str | None = None
    decline_code: str | None = None
    amount: int | None = None
    currency: str | None = None
    refund_status: str | None = None
    refund_id: str | None = None


@dataclass(frozen=True)
class Claim:
    token: str | None
    """Set when this worker now holds the lease; None when someone else's record stands."""
    record: PaymentRecord | None = None


def _key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PAYMENT#{order_id}"}}


def _conditional_failed(error: ClientError) -> bool:
    return bool(error.response["Error"]["Code"] == "ConditionalCheckFailedException")


class Ledger:
    def __init__(self, dynamodb: Any, lease_seconds: int) -> None:
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
            if not _conditional_failed(error):
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
        try:
            await self._db.update_item(
                TableName=self._table,
                Key=_key(order_id),
                UpdateExpression="SET #s = :completed, approved = :approved,"
                " payment_intent_id = :pi, decline_code = :decline REMOVE lease_until",
                ConditionExpression="#s = :inprogress AND claim = :claim",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    async def release_charge(self, order_id: str, token: str) -> bool:
        """Give up a claim whose gateway call did not finish, so that the next delivery may
        claim at once (and call again under the same idempotency key); False if not ours."""
        try:
            await self._db.update_item(
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
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    async def forbid_charge(self, order_id: str) -> bool:
        """Record that the order was cancelled before any charge; False if a record exists."""
        try:
            await self._db.put_item(
                TableName=self._table,
                Item={
                    **_key(order_id),
                    "order_id": {"S": order_id},
                    "status": {"S": PaymentStatus.CANCELLED.value},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

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
            if _conditional_failed(error):
                return None
            raise
        return token

    async def complete_refund(self, order_id: str, token: str, refund_id: str) -> bool:
        try:
            await self._db.update_item(
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
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True


def _record(item: dict[str, Any]) -> PaymentRecord:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return value or None

    amount = item.get("amount", {}).get("N")
    approved = item.get("approved", {}).get("BOOL")
    return PaymentRecord(
        order_id=item["order_id"]["S"],
        status=PaymentStatus(item["status"]["S"]),
        approved=approved if isinstance(approved, bool) else None,
        payment_intent_id=text("payment_intent_id"),
        decline_code=text("decline_code"),
        amount=int(amount) if amount else None,
        currency=text("currency"),
        refund_status=text("refund_status"),
        refund_id=text("refund_id"),
    )
