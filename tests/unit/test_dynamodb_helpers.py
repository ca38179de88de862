from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from ecommerce.platform.dynamodb import (
    ITEM_CONDITION_FAILED,
    cancellation_reasons,
    condition_failed,
    number_of,
    scan_items,
    text_of,
    written,
)


def client_error(code: str, **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "refused"}, **extra}
    return ClientError(response, "Write")


def cancelled(*codes: str) -> ClientError:
    return client_error(
        "TransactionCanceledException", CancellationReasons=[{"Code": code} for code in codes]
    )


def test_a_false_condition_is_told_apart_from_other_errors() -> None:
    assert condition_failed(client_error("ConditionalCheckFailedException"))
    assert not condition_failed(client_error("ProvisionedThroughputExceededException"))
    assert not condition_failed(cancelled("None", ITEM_CONDITION_FAILED))
    assert not condition_failed(ClientError({}, "Write"))


def test_a_cancelled_transaction_gives_one_reason_per_item_in_order() -> None:
    error = cancelled("None", "ConditionalCheckFailed", "TransactionConflict")
    assert cancellation_reasons(error) == ["None", "ConditionalCheckFailed", "TransactionConflict"]


def test_a_reason_without_a_code_reads_as_none() -> None:
    error = client_error("TransactionCanceledException", CancellationReasons=[{}, {"Code": "X"}])
    assert cancellation_reasons(error) == ["None", "X"]


@pytest.mark.parametrize(
    "error",
    [
        client_error("ConditionalCheckFailedException"),
        client_error("TransactionCanceledException"),
        ClientError({}, "Write"),
    ],
)
def test_other_errors_have_no_cancellation_reasons(error: ClientError) -> None:
    assert cancellation_reasons(error) == []


def test_text_of_reads_a_string_attribute_or_the_default() -> None:
    item = {"name": {"S": "Lamp"}, "empty": {"S": ""}, "stock": {"N": "3"}}
    assert text_of(item, "name") == "Lamp"
    assert text_of(item, "empty", "x") == ""
    assert text_of(item, "missing") is None
    assert text_of(item, "missing", "x") == "x"
    assert text_of(item, "stock", "x") == "x"


def test_number_of_reads_a_whole_number_or_none() -> None:
    item = {"stock": {"N": "12"}, "price": {"N": "1.5"}, "name": {"S": "12"}}
    assert number_of(item, "stock") == 12
    assert number_of(item, "price") is None
    assert number_of(item, "name") is None
    assert number_of(item, "missing") is None


class PagedTable:
    """Answers Scan a page at a time, as DynamoDB does, and keeps the requests it got."""

    def __init__(self, pages: list[list[dict[str, Any]]]) -> None:
        self._pages = pages
        self.requests: list[dict[str, Any]] = []

    async def scan(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        index = int(request.get("ExclusiveStartKey", {}).get("page", 0))
        page: dict[str, Any] = {"Items": self._pages[index]}
        if index + 1 < len(self._pages):
            page["LastEvaluatedKey"] = {"page": index + 1}
        return page


async def test_scan_items_follows_every_page_and_keeps_the_request() -> None:
    table = PagedTable([[{"pk": {"S": "a"}}], [], [{"pk": {"S": "b"}}, {"pk": {"S": "c"}}]])
    request = {"TableName": "products", "ConsistentRead": True}
    items = [item["pk"]["S"] async for item in scan_items(cast(Any, table), request)]
    assert items == ["a", "b", "c"]
    assert [r.get("ExclusiveStartKey") for r in table.requests] == [None, {"page": 1}, {"page": 2}]
    assert all(r["TableName"] == "products" and r["ConsistentRead"] for r in table.requests)
    assert request == {"TableName": "products", "ConsistentRead": True}


async def test_written_tells_a_write_made_from_one_whose_condition_was_false() -> None:
    async def write(error: ClientError | None) -> None:
        if error is not None:
            raise error

    assert await written(write(None)) is True
    assert await written(write(client_error("ConditionalCheckFailedException"))) is False
    with pytest.raises(ClientError):
        await written(write(client_error("ProvisionedThroughputExceededException")))
    with pytest.raises(ClientError):  # a transaction is not a single conditional write
        await written(write(cancelled("ConditionalCheckFailed")))
