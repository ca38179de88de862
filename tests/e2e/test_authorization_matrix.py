"""Every route against anonymous, the owner, another customer and an admin, through the edge.

Anonymous gets 401 (from the gateway, in API Gateway's words), a customer on an admin route
403, and another customer's order 404; no one reads or changes another customer's cart or
orders (carts are addressed by the token alone).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from devstack_runner import RunningStack
from shoppers import Customer, is_gateway_unauthorized, new_customer
from test_catalog_admin_e2e import login

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

pytestmark = pytest.mark.e2e

WHO = ("anonymous", "owner", "other", "admin")


class Anonymous(Customer):
    @property
    def auth(self) -> dict[str, str]:
        return {}


def product_body() -> dict[str, Any]:
    return {
        "name": "Matrix Widget",
        "category": "matrix",
        "price": {"amount": 100, "currency": "USD"},
        "stock": 50,
    }


async def test_every_route_answers_each_kind_of_caller_as_it_should(
    stack: RunningStack, session: aiohttp.ClientSession
) -> None:
    edge = stack.edge
    callers: dict[str, Customer] = {
        "anonymous": Anonymous(session, edge, ""),
        "owner": await new_customer(session, edge),
        "other": await new_customer(session, edge),
        "admin": Customer(
            session, edge, await login(session, edge, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)
        ),
    }
    _, _, order = await callers["owner"].place([{"product_id": "p-012", "quantity": 1}], "tok_visa")
    await callers["owner"].settled(order["id"])
    status, _, _, product = await callers["admin"].call("POST", "/products", product_body())
    assert status == 201
    pid, oid = product["id"], order["id"]

    # (method, path, body, {caller: expected status}); "*" is everyone not named.
    matrix: list[tuple[str, str, Any, dict[str, int]]] = [
        ("GET", "/products", None, {"*": 200}),
        ("GET", f"/products/{pid}", None, {"*": 200}),
        ("GET", "/categories", None, {"*": 200}),
        ("GET", "/.well-known/jwks.json", None, {"*": 200}),
        ("GET", "/users/me", None, {"anonymous": 401, "*": 200}),
        ("PATCH", "/users/me", {"name": "Renamed"}, {"anonymous": 401, "*": 200}),
        ("POST", "/products", product_body(), {"anonymous": 401, "admin": 201, "*": 403}),
        (
            "PATCH",
            f"/products/{pid}",
            {"name": "Matrix Widget 2"},
            {"anonymous": 401, "admin": 200, "*": 403},
        ),
        (
            "PUT",
            f"/products/{pid}/stock",
            {"stock": 51, "expected_stock": 50},
            {"anonymous": 401, "admin": 200, "*": 403},
        ),
        (
            "POST",
            f"/products/{pid}/images",
            {"content_type": "image/png"},
            {"anonymous": 401, "admin": 201, "*": 403},
        ),
        ("GET", f"/products/{pid}/images", None, {"anonymous": 401, "admin": 200, "*": 403}),
        ("GET", "/cart", None, {"anonymous": 401, "*": 200}),
        ("PUT", "/cart/items/p-001", {"quantity": 1}, {"anonymous": 401, "*": 200}),
        ("DELETE", "/cart/items/p-001", None, {"anonymous": 401, "*": 204}),
        ("POST", "/cart/checkout", {"payment_token": "tok_visa"}, {"anonymous": 401, "*": 409}),
        ("GET", "/orders", None, {"anonymous": 401, "*": 200}),
        ("GET", f"/orders/{oid}", None, {"anonymous": 401, "other": 404, "*": 200}),
        ("POST", f"/orders/{oid}/cancel", None, {"anonymous": 401, "other": 404, "*": 200}),
        ("DELETE", f"/products/{pid}", None, {"anonymous": 401, "admin": 204, "*": 403}),
    ]
    wrong = []
    for method, path, body, expected in matrix:
        for who in WHO:
            want = expected.get(who, expected["*"])
            status, content_type, _, document = await callers[who].call(method, path, body)
            if status != want:
                wrong.append(f"{method} {path} as {who}: {status}, expected {want}: {document}")
            elif who == "anonymous" and status == 401:
                if not is_gateway_unauthorized(status, content_type, document):
                    wrong.append(f"{method} {path} as {who}: not the gateway's 401: {document}")
            elif status >= 400 and content_type != "application/problem+json":
                wrong.append(f"{method} {path} as {who}: {status} is not a problem document")
    assert not wrong, "\n".join(wrong)

    # The other customer's cart write did not land in the owner's cart, nor the reverse.
    _, owner_cart = await callers["owner"].get("/cart")
    _, other_cart = await callers["other"].get("/cart")
    assert owner_cart["items"] == [] and other_cart["items"] == []
    _, others = await callers["other"].get("/orders")
    assert oid not in {o["id"] for o in others["items"]}
