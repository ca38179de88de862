"""The storefront from end to end, as one story through the edge (issue 5's 'done when')."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack
from shoppers import SETTLE_WITHIN, Customer, new_customer, stock_of, wait_for_stock
from test_catalog_admin_e2e import jpeg, login

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

WITHIN = SETTLE_WITHIN


async def eventually(check: Any, what: str) -> Any:
    """`check()` once it returns something truthy, within WITHIN seconds."""
    deadline = asyncio.get_running_loop().time() + WITHIN
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {WITHIN}s")
        await asyncio.sleep(0.3)


async def test_admin_stocks_customer_buys_stranger_is_refused_customer_cancels(
    stack: RunningStack, session: aiohttp.ClientSession, gateway_headers: dict[str, str]
) -> None:
    edge, gateway = stack.edge, stack.read()["endpoints"]["gateway"]
    admin = Customer(
        session, edge, await login(session, edge, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)
    )

    # An admin creates a product with stock and uploads an image; its thumbnail appears.
    status, _, _, product = await admin.call(
        "POST",
        "/products",
        {
            "name": "Story Teapot",
            "description": "Cast iron, 0.8 l.",
            "category": f"story-{uuid.uuid4().hex[:6]}",
            "price": {"amount": 3200, "currency": "USD"},
            "stock": 10,
        },
    )
    assert status == 201, product
    product_id = product["id"]
    status, _, _, upload = await admin.call(
        "POST", f"/products/{product_id}/images", {"content_type": "image/jpeg"}
    )
    assert status == 201, upload
    form = aiohttp.FormData()
    for name, value in upload["fields"].items():
        form.add_field(name, value)
    form.add_field("file", jpeg(800, 600), filename="teapot.jpg", content_type="image/jpeg")
    async with session.post(upload["url"], data=form) as posted:
        assert posted.status in (200, 201, 204)

    async def thumbnail() -> str | None:
        _, shown = await admin.get(f"/products/{product_id}")
        return shown.get("thumbnail_url")

    thumbnail_url = await eventually(thumbnail, "thumbnail")
    async with session.get(thumbnail_url) as fetched:
        assert fetched.status == 200

    # A customer fills a cart and checks out; the cart empties; the order is CONFIRMED.
    customer = await new_customer(session, edge)
    status, _, _, _ = await customer.call("PUT", f"/cart/items/{product_id}", {"quantity": 3})
    assert status == 200

    async def checkout() -> tuple[int, dict[str, Any]] | None:
        # The orders service learns of a new product from its event, which may still be on
        # its way (README, "Staleness"): a 422 naming the product is worth a retry, briefly.
        status, _, _, order = await customer.call(
            "POST", "/cart/checkout", {"payment_token": "tok_visa"}
        )
        if status == 422 and f"no product {product_id}" in str(order.get("detail")):
            return None
        return status, order

    status, order = await eventually(checkout, "the new product orderable")
    assert status == 202, order
    _, cart = await customer.get("/cart")
    assert cart["items"] == []
    confirmed = await customer.settled(order["id"])
    assert confirmed["status"] == "CONFIRMED"
    assert confirmed["total"] == {"amount": 3 * 3200, "currency": "USD"}
    assert await stock_of(session, edge, product_id) == 7

    # Another customer can neither see nor cancel it.
    stranger = await new_customer(session, edge)
    assert (await stranger.get(f"/orders/{order['id']}"))[0] == 404
    status, _, _, _ = await stranger.call("POST", f"/orders/{order['id']}/cancel")
    assert status == 404
    assert (await customer.get(f"/orders/{order['id']}"))[1]["status"] == "CONFIRMED"

    # The customer cancels: the refund shows at the gateway and the stock is back.
    status, _, _, cancelled = await customer.call("POST", f"/orders/{order['id']}/cancel")
    assert status == 200
    assert (cancelled["status"], cancelled["reason"]) == ("CANCELLED", "customer_cancelled")
    assert await wait_for_stock(session, edge, product_id, 10) == 10

    async def refund() -> list[dict[str, Any]]:
        async with session.get(
            f"{gateway}/v1/payment_intents?limit=100", headers=gateway_headers
        ) as response:
            intents = [
                pi
                for pi in (await response.json())["data"]
                if pi["metadata"].get("order_id") == order["id"]
            ]
        async with session.get(f"{gateway}/v1/refunds?limit=100", headers=gateway_headers) as r:
            return [
                x
                for x in (await r.json())["data"]
                if intents and x["payment_intent"] == intents[0]["id"]
            ]

    [refunded] = await eventually(refund, "refund at the gateway")
    assert refunded["amount"] == 3 * 3200 and refunded["status"] == "succeeded"
