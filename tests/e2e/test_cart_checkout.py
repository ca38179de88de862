"""The cart over HTTP through the edge, on the whole stack as `ecommerce dev` runs it."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack
from shoppers import Customer, is_gateway_unauthorized, register

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


class Shopper(Customer):
    async def cart(self) -> dict[str, Any]:
        status, _, _, cart = await self.call("GET", "/cart")
        assert status == 200, cart
        return dict(cart)

    async def put(self, product_id: str, quantity: int) -> dict[str, Any]:
        status, _, _, line = await self.call(
            "PUT", f"/cart/items/{product_id}", {"quantity": quantity}
        )
        assert status == 200, line
        return dict(line)

    async def checkout(self, payment_token: str = "tok_visa") -> tuple[int, dict[str, Any]]:
        status, _, _, body = await self.call(
            "POST", "/cart/checkout", {"payment_token": payment_token}
        )
        return status, body


async def new_shopper(session: aiohttp.ClientSession, edge: str) -> Shopper:
    return await register(session, edge, Shopper, prefix="cart")


async def product(session: aiohttp.ClientSession, edge: str, product_id: str) -> dict[str, Any]:
    async with session.get(f"{edge}/products/{product_id}") as response:
        assert response.status == 200
        return dict(await response.json())


async def test_a_filled_cart_checks_out_empties_and_its_order_confirms(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    shopper = await new_shopper(session, stack.edge)
    beans = await product(session, stack.edge, "p-001")
    tea = await product(session, stack.edge, "p-002")
    await shopper.put("p-001", 2)
    await shopper.put("p-002", 1)
    await shopper.put("p-001", 3)

    cart = await shopper.cart()
    assert [(item["product_id"], item["quantity"]) for item in cart["items"]] == [
        ("p-001", 3),
        ("p-002", 1),
    ]
    total = 3 * beans["price"]["amount"] + tea["price"]["amount"]
    assert cart["total"] == {"amount": total, "currency": "USD"}

    status, order = await shopper.checkout("tok_visa")

    assert status == 202, order
    assert order["status"] == "PENDING"
    assert order["total"] == {"amount": total, "currency": "USD"}
    emptied = await shopper.cart()
    assert emptied["items"] == [] and emptied["version"] > cart["version"]
    final = await shopper.settled(order["id"])
    assert (final["status"], final["reason"]) == ("CONFIRMED", None)
    assert {(item["product_id"], item["quantity"]) for item in final["items"]} == {
        ("p-001", 3),
        ("p-002", 1),
    }


async def test_two_concurrent_checkouts_give_one_order(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    shopper = await new_shopper(session, stack.edge)
    await shopper.put("p-003", 1)
    await shopper.put("p-004", 2)

    results = await asyncio.gather(shopper.checkout(), shopper.checkout(), shopper.checkout())

    assert [status for status, _ in results] == [202, 202, 202], results
    assert len({order["id"] for _, order in results}) == 1
    status, _, _, listing = await shopper.call("GET", "/orders?limit=100")
    assert status == 200
    assert [order["id"] for order in listing["items"]] == [results[0][1]["id"]]
    assert (await shopper.cart())["items"] == []
    assert (await shopper.settled(results[0][1]["id"]))["status"] == "CONFIRMED"


async def test_another_customer_can_neither_see_nor_change_the_cart(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    owner = await new_shopper(session, stack.edge)
    stranger = await new_shopper(session, stack.edge)
    await owner.put("p-005", 2)
    before = await owner.cart()

    assert (await stranger.cart())["items"] == []
    status, _, _, _ = await stranger.call("DELETE", "/cart/items/p-005")
    assert status == 204
    status, _ = await stranger.checkout()
    assert status == 409  # the stranger's own cart, empty

    assert await owner.cart() == before
    async with session.get(f"{stack.edge}/cart") as anonymous:
        assert is_gateway_unauthorized(
            anonymous.status, anonymous.content_type, await anonymous.json()
        )


async def test_bad_cart_requests_are_problems_and_change_nothing(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    shopper = await new_shopper(session, stack.edge)
    for method, path, body, expected in (
        ("PUT", "/cart/items/no-such-product", {"quantity": 1}, 404),
        ("PUT", "/cart/items/p-001", {"quantity": 0}, 422),
        ("PUT", "/cart/items/p-001", {"quantity": 101}, 422),
        ("POST", "/cart/checkout", {"payment_token": "tok_visa"}, 409),  # empty cart
        ("POST", "/cart/checkout", {}, 422),
    ):
        status, content_type, _, problem = await shopper.call(method, path, body)
        assert (status, content_type) == (expected, PROBLEM), (method, path, problem)
        assert problem["status"] == expected
    assert (await shopper.cart())["version"] == 0


async def test_checkout_beyond_the_stock_is_a_409_and_the_cart_stays(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    stock = (await product(session, stack.edge, "p-024"))["stock"]
    if stock >= 100:
        pytest.skip("p-024 has more stock than one cart line can ask for")
    shopper = await new_shopper(session, stack.edge)
    await shopper.put("p-024", stock + 1)
    before = await shopper.cart()

    status, problem = await shopper.checkout()

    assert status == 409, problem
    assert [line["product_id"] for line in problem["products"]] == ["p-024"]
    assert await shopper.cart() == before
