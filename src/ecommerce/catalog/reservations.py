"""The inventory adapter: reservations and stock in the products table, via DynamoDB transactions.

Reservation items live beside the products as `pk = RESERVATION#<order_id>`. Taking stock
uses a condition `stock >= :quantity` in the same transaction as the reservation's conditional
put, so stock never goes below zero and an order reserves all of its lines or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from ecommerce.catalog.inventory_domain import Line, Reservation, ReservationStatus
from ecommerce.resources import physical


def product_key(product_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"PRODUCT#{product_id}"}}


def reservation_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"RESERVATION#{order_id}"}}


@dataclass(frozen=True)
class ReserveResult:
    reserved: bool
    existing: bool = False
    short: tuple[int, ...] = ()
    """Indexes (into the lines) whose stock condition failed."""


class ReservationStore:
    def __init__(self, dynamodb: Any) -> None:
        self._db = dynamodb
        self._table = physical("products")

    async def get(self, order_id: str) -> Reservation | None:
        response = await self._db.get_item(
            TableName=self._table, Key=reservation_key(order_id), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else _reservation(item)

    async def reserve(self, order_id: str, lines: Sequence[Line]) -> ReserveResult:
        """Take the stock of every line and record the reservation, or do nothing at all."""
        items: list[dict[str, Any]] = [
            {"Put": self._put(order_id, ReservationStatus.RESERVED, lines, condition_absent=True)}
        ]
        for line in lines:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": product_key(line.product_id),
                        "UpdateExpression": "SET stock = stock - :q",
                        "ConditionExpression": (
                            "attribute_exists(pk) AND attribute_not_exists(deleted_at)"
                            " AND stock >= :q"
                        ),
                        "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                    }
                }
            )
        try:
            await self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = _cancellation_codes(error)
            if reasons is None:
                raise
            if reasons[0] == "ConditionalCheckFailed":
                return ReserveResult(reserved=False, existing=True)
            short = tuple(
                i - 1 for i, code in enumerate(reasons) if i and code == "ConditionalCheckFailed"
            )
            if not short:
                raise  # cancelled for another reason (conflict, throttling): retry later
            return ReserveResult(reserved=False, short=short)
        return ReserveResult(reserved=True)

    async def record(
        self,
        order_id: str,
        status: ReservationStatus,
        lines: Sequence[Line],
        rejected: Sequence[str] = (),
    ) -> bool:
        """Record a reservation that holds no stock (REJECTED, CANCELLED); False if one exists."""
        try:
            await self._db.put_item(
                **self._put(order_id, status, lines, condition_absent=True, rejected=rejected)
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def move(self, order_id: str, frm: ReservationStatus, to: ReservationStatus) -> bool:
        """Change status without touching stock; False if it was not in `frm`."""
        try:
            await self._db.update_item(**self._status_update(order_id, frm, to))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    async def release(self, reservation: Reservation) -> bool:
        """Give the stock back and mark the reservation RELEASED, atomically."""
        items: list[dict[str, Any]] = [
            {
                "Update": self._status_update(
                    reservation.order_id, reservation.status, ReservationStatus.RELEASED
                )
            }
        ]
        for line in reservation.lines:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": product_key(line.product_id),
                        "UpdateExpression": "SET stock = stock + :q",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                    }
                }
            )
        try:
            await self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = _cancellation_codes(error)
            if reasons is not None and reasons[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    async def stock(self, product_id: str) -> int | None:
        response = await self._db.get_item(
            TableName=self._table, Key=product_key(product_id), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else int(item["stock"]["N"])

    def _put(
        self,
        order_id: str,
        status: ReservationStatus,
        lines: Sequence[Line],
        *,
        condition_absent: bool,
        rejected: Sequence[str] = (),
    ) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        item: dict[str, Any] = {
            **reservation_key(order_id),
            "order_id": {"S": order_id},
            "status": {"S": status.value},
            "lines": {
                "L": [
                    {"M": {"product_id": {"S": li.product_id}, "quantity": {"N": str(li.quantity)}}}
                    for li in lines
                ]
            },
            "created_at": {"S": now},
            "updated_at": {"S": now},
        }
        if rejected:
            item["rejected_products"] = {"L": [{"S": p} for p in rejected]}
        put: dict[str, Any] = {"TableName": self._table, "Item": item}
        if condition_absent:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return put

    def _status_update(
        self, order_id: str, frm: ReservationStatus, to: ReservationStatus
    ) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": reservation_key(order_id),
            "UpdateExpression": "SET #s = :to, updated_at = :now",
            "ConditionExpression": "#s = :from",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":to": {"S": to.value},
                ":from": {"S": frm.value},
                ":now": {"S": datetime.now(UTC).isoformat()},
            },
        }


def _cancellation_codes(error: ClientError) -> list[str] | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons] or None


def _reservation(item: dict[str, Any]) -> Reservation:
    lines = tuple(
        Line(entry["M"]["product_id"]["S"], int(entry["M"]["quantity"]["N"]))
        for entry in item.get("lines", {}).get("L", [])
    )
    rejected = tuple(entry["S"] for entry in item.get("rejected_products", {}).get("L", []))
    return Reservation(
        order_id=item["order_id"]["S"],
        status=ReservationStatus(item["status"]["S"]),
        lines=lines,
        rejected_products=rejected,
    )
