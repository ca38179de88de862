"""What every DynamoDB adapter reads the same way: why a write was refused, the optional
attributes of an item, and a Scan followed to its last page. Nothing here knows a table.

A single write whose `ConditionExpression` is false fails with `ConditionalCheckFailedException`
(`condition_failed`). A transaction fails as a whole with `TransactionCanceledException` and
one reason per item, in the order of its items (`cancellation_reasons`): `"None"` for an item
that was fine, `"ConditionalCheckFailed"` for one whose condition was false,
`"TransactionConflict"` when another request wrote it meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import TYPE_CHECKING, Any, overload

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

CONDITION_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELLED = "TransactionCanceledException"
ITEM_CONDITION_FAILED = "ConditionalCheckFailed"
ITEM_CONFLICT = "TransactionConflict"

Item = dict[str, Any]


def error_code(error: ClientError) -> str | None:
    code = error.response.get("Error", {}).get("Code")
    return code if isinstance(code, str) else None


def condition_failed(error: ClientError) -> bool:
    """The write's condition was false (a single write: a transaction is cancelled instead)."""
    return error_code(error) == CONDITION_FAILED


async def written(write: Awaitable[object]) -> bool:
    """Await a conditional write: True once it is made, False if its condition was false (and
    nothing was written). Any other error propagates."""
    try:
        await write
    except ClientError as error:
        if condition_failed(error):
            return False
        raise
    return True


def cancellation_reasons(error: ClientError) -> list[str]:
    """One code per item of a cancelled transaction, in its order; empty for any other error."""
    if error_code(error) != TRANSACTION_CANCELLED:
        return []
    reasons: Any = error.response.get("CancellationReasons") or []
    return [str(reason.get("Code", "None")) for reason in reasons]


@overload
def text_of(item: Mapping[str, Any], name: str) -> str | None: ...


@overload
def text_of(item: Mapping[str, Any], name: str, default: str) -> str: ...


def text_of(item: Mapping[str, Any], name: str, default: str | None = None) -> str | None:
    """The string attribute `name` of an item; `default` when it is absent or not a string."""
    value = item.get(name, {}).get("S")
    return value if isinstance(value, str) else default


def number_of(item: Mapping[str, Any], name: str) -> int | None:
    """The whole-number attribute `name` of an item; None when it is absent or not a number."""
    value = item.get(name, {}).get("N")
    try:
        return int(value) if isinstance(value, str) else None
    except ValueError:
        return None


async def scan_items(dynamodb: DynamoDBClient, request: Mapping[str, Any]) -> AsyncIterator[Item]:
    """Every item the Scan `request` returns, page after page until the last one."""
    paged = dict(request)
    while True:
        page = await dynamodb.scan(**paged)
        for item in page.get("Items", []):
            yield item
        last = page.get("LastEvaluatedKey")
        if not last:
            return
        paged["ExclusiveStartKey"] = last
