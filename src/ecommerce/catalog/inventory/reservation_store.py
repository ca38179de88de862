"""The inventory adapter: reservations and stock in the products table, via DynamoDB transactions.

Reservation items live beside the products as `pk = RESERVATION#<order_id>`. Taking stock
uses a condition `stock >= :quantity` in the same transaction as the reservation's conditional
put, so stock never goes below zero and an order reserves all of its lines or none.

A reservation is also what makes a redelivered OrderPlaced harmless, so it cannot go at once;
but it must not stay for ever either (one item per order, growing without end). Once it holds
no stock or its order is confirmed, it gets `expires_at` = now + the retention, the products
table's DynamoDB TTL attribute: AWS deletes it after that, and `sweep` does the same where
there is no TTL (the local emulator). The retention is longer than any OrderPlaced can wait in
SQS (14 days at most), and an OrderPlaced older than it is refused rather than reserved again
(see `Inventory.on_order_placed`). A reservation still RESERVED never expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ecommerce.catalog.inventory.reservation import Line, Reservation, ReservationStatus
from ecommerce.catalog.products.product_items import LIVE, product_item_key
from ecommerce.platform.dynamodb import (
    ITEM_CONDITION_FAILED,
    cancellation_reasons,
    condition_failed,
    scan_items,
    written,
)
from ecommerce.resources import physical

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_dynamodb.type_defs import (
        PutTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

RESERVATION_PREFIX = "RESERVATION#"
EXPIRES_AT = "expires_at"
"""The products table's TTL attribute (epoch seconds), declared in `ecommerce.resources`."""
DEFAULT_RETENTION_SECONDS = 30 * 24 * 3600


def reservation_item_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{RESERVATION_PREFIX}{order_id}"}}


@dataclass(frozen=True)
class ReserveResult:
    reserved: bool
    existing: bool = False
    short: tuple[int, ...] = ()
    """Indexes (into the lines) whose stock condition failed."""


class ReservationStore:
    def __init__(
        self,
        dynamodb: DynamoDBClient,
        *,
        retention_seconds: int = DEFAULT_RETENTION_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = dynamodb
        self._table = physical("products")
        self._retention = retention_seconds
        self._clock = clock

    @property
    def retention_seconds(self) -> int:
        return self._retention

    def _expiry(self) -> str:
        return str(int(self._clock()) + self._retention)

    async def get(self, order_id: str) -> Reservation | None:
        response = await self._db.get_item(
            TableName=self._table, Key=reservation_item_key(order_id), ConsistentRead=True
        )
        item = response.get("Item")
        return None if item is None else _reservation(item)

    async def reserve(self, order_id: str, lines: Sequence[Line]) -> ReserveResult:
        """Take the stock of every line and record the reservation, or do nothing at all."""
        items: list[TransactWriteItemTypeDef] = [
            {"Put": self._put(order_id, ReservationStatus.RESERVED, lines, condition_absent=True)}
        ]
        for line in lines:
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": product_item_key(line.product_id),
                        "UpdateExpression": "SET stock = stock - :q",
                        "ConditionExpression": f"{LIVE} AND stock >= :q",
                        "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                    }
                }
            )
        try:
            await self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if not reasons:
                raise
            if reasons[0] == ITEM_CONDITION_FAILED:
                return ReserveResult(reserved=False, existing=True)
            short = tuple(
                i - 1 for i, code in enumerate(reasons) if i and code == ITEM_CONDITION_FAILED
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
        """Record a reservation that holds no stock (REJECTED, CANCELLED); False if one exists.

        It expires after the retention, like every reservation that holds no stock."""
        put = self._put(
            order_id,
            status,
            lines,
            condition_absent=True,
            rejected=rejected,
            expires=self._expiry(),
        )
        return await written(self._db.put_item(**put))

    async def move(self, order_id: str, frm: ReservationStatus, to: ReservationStatus) -> bool:
        """Change status without touching stock (the expiry starts); False if not in `frm`."""
        return await written(self._db.update_item(**self._status_update(order_id, frm, to)))

    async def release(self, reservation: Reservation) -> bool:
        """Give the stock back and mark the reservation RELEASED, atomically."""
        items: list[TransactWriteItemTypeDef] = [
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
                        "Key": product_item_key(line.product_id),
                        "UpdateExpression": "SET stock = stock + :q",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":q": {"N": str(line.quantity)}},
                    }
                }
            )
        try:
            await self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            reasons = cancellation_reasons(error)
            if reasons and reasons[0] == ITEM_CONDITION_FAILED:
                return False
            raise
        return True

    async def stock(self, product_id: str) -> int | None:
        response = await self._db.get_item(
            TableName=self._table, Key=product_item_key(product_id), ConsistentRead=True
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
        expires: str | None = None,
    ) -> PutTypeDef:
        now = datetime.now(UTC).isoformat()
        item: dict[str, Any] = {
            **reservation_item_key(order_id),
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
        if expires is not None:
            item[EXPIRES_AT] = {"N": expires}
        put: PutTypeDef = {"TableName": self._table, "Item": item}
        if condition_absent:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return put

    def _status_update(
        self, order_id: str, frm: ReservationStatus, to: ReservationStatus
    ) -> UpdateTypeDef:
        """Every move leaves RESERVED for a status that expires (COMMITTED, RELEASED)."""
        return {
            "TableName": self._table,
            "Key": reservation_item_key(order_id),
            "UpdateExpression": f"SET #s = :to, updated_at = :now, {EXPIRES_AT} = :expires",
            "ConditionExpression": "#s = :from",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {
                ":to": {"S": to.value},
                ":from": {"S": frm.value},
                ":now": {"S": datetime.now(UTC).isoformat()},
                ":expires": {"N": self._expiry()},
            },
        }

    async def sweep(self) -> int:
        """Delete the reservations whose expiry has passed; how many. What DynamoDB's TTL does
        on AWS, for an emulator without it. Each one is deleted only if still expired."""
        now = str(int(self._clock()))
        request: dict[str, Any] = {
            "TableName": self._table,
            "ProjectionExpression": "pk",
            "FilterExpression": f"begins_with(pk, :prefix) AND {EXPIRES_AT} < :now",
            "ExpressionAttributeValues": {
                ":prefix": {"S": RESERVATION_PREFIX},
                ":now": {"N": now},
            },
        }
        deleted = 0
        async for item in scan_items(self._db, request):
            try:
                await self._db.delete_item(
                    TableName=self._table,
                    Key={"pk": item["pk"]},
                    ConditionExpression=f"{EXPIRES_AT} < :now",
                    ExpressionAttributeValues={":now": {"N": now}},
                )
                deleted += 1
            except ClientError as error:
                if not condition_failed(error):
                    raise
        return deleted


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
