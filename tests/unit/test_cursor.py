"""The one page-cursor codec (`platform.cursor`), the positions the products and orders
listings put in it, and the 400 problem an invalid cursor gets at any API."""

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.catalog.products.browsing import table_key
from ecommerce.events import LineItem, Money
from ecommerce.orders.domain import Order, Status
from ecommerce.orders.service import order_cursor, order_position
from ecommerce.platform.cursor import MAX_CURSOR_LENGTH, InvalidCursor, decode_cursor, encode_cursor
from ecommerce.platform.http.middlewares import problems, request_log

URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def anything(position: Any) -> Any:
    return position


@pytest.mark.parametrize(
    "position",
    ["PRODUCT#p-001", "RESERVATION#0b7e", "PRODUCT#ü/ä+?=", ["2026-11-30T10:00:00+00:00", "x"], 7],
)
def test_a_cursor_round_trips_and_is_url_safe(position: Any) -> None:
    cursor = encode_cursor(position)
    assert decode_cursor(cursor, anything) == position
    assert set(cursor) <= URL_SAFE


def test_a_products_cursor_issued_before_the_codec_moved_still_reads() -> None:
    earlier = base64.urlsafe_b64encode(b'{"v":1,"k":"PRODUCT#p-007"}').rstrip(b"=").decode()
    assert decode_cursor(earlier, table_key) == "PRODUCT#p-007"


@pytest.mark.parametrize(
    ("cursor", "says"),
    [
        ("", "empty"),
        ("A" * (MAX_CURSOR_LENGTH + 1), "longer than"),
        ("!!!", "not base64"),
        ("not base64 at all", "not base64"),
        ("é", "not base64"),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), "not base64"),
        (b64([1, 2]), "no position"),
        (b64({"v": 1}), "no position"),
        (b64({"v": 2, "k": "PRODUCT#p-001"}), "another version"),
        (b64({"k": "PRODUCT#p-001"}), "another version"),
    ],
)
def test_a_cursor_we_did_not_issue_is_refused_saying_why(cursor: str, says: str) -> None:
    with pytest.raises(InvalidCursor, match=says):
        decode_cursor(cursor, anything)


def tampered(cursor: str) -> list[str]:
    """The cursor with one character changed, at every place, and cut short."""
    changed = [
        cursor[:i] + ("A" if c != "A" else "B") + cursor[i + 1 :] for i, c in enumerate(cursor)
    ]
    return [*changed, cursor[: len(cursor) // 2], cursor[:-1]]


def order(created_at: datetime) -> Order:
    total = Money(amount=500, currency="USD")
    items = (LineItem(product_id="p-001", quantity=1, unit_price=total),)
    order_id = str(uuid.uuid4())
    return Order(order_id, "c-1", Status.PENDING, items, total, "tok_visa", created_at, created_at)


def test_an_orders_cursor_holds_the_last_orders_time_and_id() -> None:
    last = order(datetime(2026, 11, 30, 10, 0, 1, 250000, tzinfo=UTC))
    cursor = order_cursor(last)
    assert decode_cursor(cursor, order_position) == (last.created_at, last.id)


def test_an_edited_orders_cursor_is_refused_or_reads_as_another_order_position() -> None:
    cursor = order_cursor(order(datetime(2026, 11, 30, 10, 0, 1, tzinfo=UTC)))
    for edited in tampered(cursor):
        try:
            at, order_id = decode_cursor(edited, order_position)
        except InvalidCursor:
            continue
        assert at.tzinfo is not None  # what is left is a well-formed position, nothing else
        uuid.UUID(order_id)


@pytest.mark.parametrize(
    "position",
    [
        "PRODUCT#p-001",
        ["2026-11-30T10:00:00+00:00"],
        ["2026-11-30T10:00:00+00:00", "not-a-uuid"],
        ["yesterday", str(uuid.UUID(int=1))],
        ["2026-11-30T10:00:00", str(uuid.UUID(int=1))],
        [20261130, str(uuid.UUID(int=1))],
        ["2026-11-30T10:00:00+00:00", str(uuid.UUID(int=1)), "more"],
    ],
)
def test_an_orders_cursor_of_another_shape_is_refused(position: Any) -> None:
    with pytest.raises(InvalidCursor, match="not one of this listing"):
        decode_cursor(encode_cursor(position), order_position)


@pytest.mark.parametrize("position", ["", 7, None, ["PRODUCT#p-001"], {"pk": "PRODUCT#p-001"}])
def test_a_products_cursor_of_another_shape_is_refused(position: Any) -> None:
    with pytest.raises(InvalidCursor, match="not one of this listing"):
        decode_cursor(encode_cursor(position), table_key)


async def test_an_invalid_cursor_is_a_400_problem_that_says_why() -> None:
    app = web.Application(middlewares=[request_log, problems])

    async def listing(request: web.Request) -> web.Response:
        position = decode_cursor(request.query["cursor"], order_position)
        return web.json_response({"after": position[1]})

    app.router.add_get("/orders", listing)
    good = order_cursor(order(datetime(2026, 11, 30, tzinfo=UTC)))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/orders", params={"cursor": good})).status == 200
        for cursor in ["garbage", good[:-3], b64({"v": 1, "k": ["x", "y"]})]:
            response = await client.get("/orders", params={"cursor": cursor})
            assert (response.status, response.content_type) == (400, "application/problem+json")
            problem = await response.json()
            assert problem["title"] == "Invalid cursor"
            assert "next_cursor" in problem["detail"]
            assert problem["instance"] == "/orders"
