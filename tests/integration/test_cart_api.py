"""The cart frontend, built by its real app factory, over HTTP with real Redis and real tokens.

The catalog and the orders API are fakes served over HTTP by aiohttp in this test: the
catalog answers `GET /products/{id}`; the orders fake replays the first response per
(customer, Idempotency-Key) as the real one does, and records every request it gets.
"""

import asyncio
import dataclasses
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.cart.api import build_app
from ecommerce.cart.config import CartSettings
from ecommerce.cart.domain import MAX_LINES
from ecommerce.devstack.ports import free_port
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.http.auth import AUDIENCE, ISSUER
from ecommerce.platform.jwt_keys import SigningKey, current_signing_key, sign
from ecommerce.resources import secret_id

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
Client = TestClient[Any, Any]


class FakeCatalog:
    def __init__(self) -> None:
        self.products: dict[str, dict[str, Any]] = {}
        self.down = False

    def add(self, product_id: str, amount: int, stock: int = 50) -> str:
        self.products[product_id] = {
            "id": product_id,
            "name": product_id,
            "description": "",
            "category": "books",
            "price": {"amount": amount, "currency": "USD"},
            "stock": stock,
        }
        return product_id

    async def get_product(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"title": "down"}, status=500)
        product = self.products.get(request.match_info["product_id"])
        if product is None:
            return web.json_response({"title": "Not Found", "status": 404}, status=404)
        return web.json_response(product)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/products/{product_id}", self.get_product)
        return app


class FakeOrders:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.by_key: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        self.status_override: int | None = None
        self.before_answer: Callable[[], Awaitable[None]] | None = None

    @staticmethod
    def customer(request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return None
        return str(jwt.decode(token, options={"verify_signature": False})["sub"])

    async def place(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "body": body})
        if self.status_override is not None:
            return web.json_response({"title": "down"}, status=self.status_override)
        customer = self.customer(request)
        if customer is None:
            return web.json_response({"title": "Unauthorized", "status": 401}, status=401)
        if self.before_answer is not None:
            await self.before_answer()
        key = (customer, request.headers["Idempotency-Key"])
        fingerprint = json.dumps(body, sort_keys=True)
        if key in self.by_key:
            stored_fingerprint, order = self.by_key[key]
            if stored_fingerprint != fingerprint:
                problem = {"title": "Idempotency-Key reused", "status": 422}
                return web.json_response(problem, status=422)
            return web.json_response(order, status=202, headers={"Idempotent-Replayed": "true"})
        order = {
            "id": str(uuid.uuid4()),
            "customer": customer,
            "status": "PENDING",
            "items": body["items"],
        }
        self.by_key[key] = (fingerprint, order)
        return web.json_response(order, status=202)

    async def get_order(self, request: web.Request) -> web.Response:
        for _, order in self.by_key.values():
            mine = order["customer"] == self.customer(request)
            if order["id"] == request.match_info["order_id"] and mine:
                return web.json_response(order)
        return web.json_response({"title": "Order not found", "status": 404}, status=404)

    def orders_of(self, customer: str) -> list[dict[str, Any]]:
        return [order for (who, _), (_, order) in self.by_key.items() if who == customer]

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/orders", self.place)
        app.router.add_get("/orders/{order_id}", self.get_order)
        return app


@dataclasses.dataclass
class Harness:
    client: Client
    catalog: FakeCatalog
    orders: FakeOrders
    settings: Settings
    cart_settings: CartSettings
    signing_key: SigningKey

    def token(self, user_id: str, role: str = "customer") -> str:
        now = int(time.time())
        claims = {
            "sub": user_id,
            "email": f"{user_id}@example.com",
            "role": role,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 600,
        }
        return sign(self.signing_key, claims)

    def customer(self, role: str = "customer") -> "Shopper":
        user_id = str(uuid.uuid4())
        return Shopper(self.client, user_id, self.token(user_id, role))


class Shopper:
    def __init__(self, client: Client, user_id: str, token: str) -> None:
        self.client, self.user_id, self.token = client, user_id, token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def cart(self) -> dict[str, Any]:
        response = await self.client.get("/cart", headers=self.auth)
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def put(self, product_id: str, quantity: Any) -> tuple[int, dict[str, Any]]:
        response = await self.client.put(
            f"/cart/items/{product_id}", json={"quantity": quantity}, headers=self.auth
        )
        return response.status, await response.json()

    async def delete(self, product_id: str) -> int:
        response = await self.client.delete(f"/cart/items/{product_id}", headers=self.auth)
        return response.status

    async def checkout(self, payment_token: str = "tok_visa") -> tuple[int, Any, dict[str, str]]:
        response = await self.client.post(
            "/cart/checkout", json={"payment_token": payment_token}, headers=self.auth
        )
        return response.status, await response.json(), dict(response.headers)


async def read_signing_key() -> SigningKey:
    clients = AwsClients(os.environ["AWS_REGION"])
    try:
        secrets = await clients.client("secretsmanager")
        secret = await secrets.get_secret_value(SecretId=secret_id("jwt-signing-keys"))
    finally:
        await clients.close()
    return current_signing_key(secret["SecretString"])


@pytest.fixture(scope="module")
async def harness(provisioned: Any, redis_url: str) -> AsyncIterator[Harness]:
    catalog, orders = FakeCatalog(), FakeOrders()
    catalog_server, orders_server = TestServer(catalog.app()), TestServer(orders.app())
    await catalog_server.start_server()
    await orders_server.start_server()
    settings = dataclasses.replace(
        Settings.from_env("cart"),
        redis_url=redis_url,
        catalog_url=str(catalog_server.make_url("")),
        orders_url=str(orders_server.make_url("")),
    )
    cart_settings = CartSettings(key_prefix=f"test-cart-api-{uuid.uuid4().hex[:8]}:")
    async with TestClient(TestServer(build_app(settings, cart_settings))) as client:
        yield Harness(client, catalog, orders, settings, cart_settings, await read_signing_key())
    await catalog_server.close()
    await orders_server.close()


@pytest.fixture(autouse=True)
def healthy(harness: Harness) -> None:
    harness.catalog.down = False
    harness.orders.status_override = None
    harness.orders.before_answer = None


def product(harness: Harness, amount: int = 1000, stock: int = 50) -> str:
    return harness.catalog.add(f"p-{uuid.uuid4().hex[:10]}", amount, stock)


def assert_problem(status: int, body: dict[str, Any], expected: int) -> None:
    assert status == expected, body
    assert body["status"] == expected and body["title"]


# --- reading and changing the cart ---------------------------------------------------------


async def test_a_new_cart_is_empty(harness: Harness) -> None:
    shopper = harness.customer()
    assert await shopper.cart() == {
        "items": [],
        "total": {"amount": 0, "currency": "USD"},
        "version": 0,
    }


async def test_lines_are_priced_from_the_catalog_and_totalled(harness: Harness) -> None:
    shopper = harness.customer()
    book, pen = product(harness, 2499), product(harness, 150)

    status, line = await shopper.put(book, 2)
    assert status == 200, line
    assert line["product_id"] == book and line["quantity"] == 2
    assert line["unit_price"] == {"amount": 2499, "currency": "USD"}
    assert line["line_total"] == {"amount": 4998, "currency": "USD"}
    assert line["available"] is True
    await shopper.put(pen, 3)

    cart = await shopper.cart()
    assert {item["product_id"]: item["line_total"]["amount"] for item in cart["items"]} == {
        book: 4998,
        pen: 450,
    }
    assert cart["total"] == {"amount": 5448, "currency": "USD"}
    assert cart["version"] > line["cart_version"]


async def test_a_price_change_shows_at_the_next_read(harness: Harness) -> None:
    shopper = harness.customer()
    book = product(harness, 1000)
    await shopper.put(book, 1)
    harness.catalog.products[book]["price"]["amount"] = 1200
    assert (await shopper.cart())["total"]["amount"] == 1200


async def test_setting_a_line_again_replaces_its_quantity(harness: Harness) -> None:
    shopper = harness.customer()
    book = product(harness)
    await shopper.put(book, 5)
    await shopper.put(book, 2)
    assert [(i["product_id"], i["quantity"]) for i in (await shopper.cart())["items"]] == [
        (book, 2)
    ]


async def test_a_product_gone_from_the_catalog_is_flagged_not_a_500(harness: Harness) -> None:
    shopper = harness.customer()
    kept, gone = product(harness, 300), product(harness, 700)
    await shopper.put(kept, 1)
    await shopper.put(gone, 1)
    del harness.catalog.products[gone]

    cart = await shopper.cart()

    flagged = next(item for item in cart["items"] if item["product_id"] == gone)
    assert flagged == {
        "product_id": gone,
        "quantity": 1,
        "unit_price": None,
        "line_total": None,
        "available": False,
    }
    assert cart["total"] == {"amount": 300, "currency": "USD"}

    status, problem, _ = await shopper.checkout()
    assert_problem(status, problem, 409)
    assert problem["title"] == "Products unavailable"
    assert problem["products"] == [
        {"product_id": gone, "requested": 1, "available": 0, "reason": "not_in_catalog"}
    ]


async def test_deleting_a_line_is_idempotent(harness: Harness) -> None:
    shopper = harness.customer()
    book, pen = product(harness), product(harness)
    await shopper.put(book, 1)
    await shopper.put(pen, 1)
    assert await shopper.delete(book) == 204
    version = (await shopper.cart())["version"]
    assert await shopper.delete(book) == 204
    assert await shopper.delete("never-in-the-cart") == 204
    assert await shopper.delete("_version") == 204
    cart = await shopper.cart()
    assert [item["product_id"] for item in cart["items"]] == [pen]
    assert cart["version"] == version


async def test_an_unknown_product_is_a_404_problem(harness: Harness) -> None:
    shopper = harness.customer()
    for product_id in ("p-not-in-catalog", "bad%20id", "x" * 80, "_version"):
        response = await shopper.client.put(
            f"/cart/items/{product_id}", json={"quantity": 1}, headers=shopper.auth
        )
        assert response.status == 404, product_id
        assert response.content_type == PROBLEM
    assert (await shopper.cart())["version"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 101}, "quantity"),
        ({"quantity": -3}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": "3"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({}, "quantity"),
        ({"quantity": 1, "user_id": "someone-else"}, "user_id"),
        ([1], "body"),
    ],
)
async def test_a_bad_quantity_is_a_422_problem_naming_the_field(
    harness: Harness, body: Any, field: str
) -> None:
    shopper = harness.customer()
    response = await shopper.client.put(
        f"/cart/items/{product(harness)}", json=body, headers=shopper.auth
    )
    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert field in {error["field"] for error in problem["errors"]}
    assert (await shopper.cart())["version"] == 0


async def test_malformed_json_is_a_400_problem(harness: Harness) -> None:
    shopper = harness.customer()
    for path, method in ((f"/cart/items/{product(harness)}", "PUT"), ("/cart/checkout", "POST")):
        response = await shopper.client.request(
            method,
            path,
            data=b"{nope",
            headers={**shopper.auth, "Content-Type": "application/json"},
        )
        assert response.status == 400
        assert response.content_type == PROBLEM


async def test_a_cart_holds_at_most_fifty_products(harness: Harness) -> None:
    shopper = harness.customer()
    products = [product(harness) for _ in range(MAX_LINES + 1)]
    for product_id in products[:MAX_LINES]:
        assert (await shopper.put(product_id, 1))[0] == 200

    status, problem = await shopper.put(products[-1], 1)

    assert_problem(status, problem, 409)
    assert problem["max_lines"] == MAX_LINES
    assert (await shopper.put(products[0], 9))[0] == 200
    assert len((await shopper.cart())["items"]) == MAX_LINES


async def test_concurrent_puts_keep_the_limit_and_take_one_version_each(
    harness: Harness,
) -> None:
    shopper = harness.customer()
    for _ in range(MAX_LINES - 3):
        await shopper.put(product(harness), 1)
    start = (await shopper.cart())["version"]
    extra = [product(harness) for _ in range(12)]

    results = await asyncio.gather(*(shopper.put(product_id, 2) for product_id in extra))

    accepted = [body["cart_version"] for status, body in results if status == 200]
    refused = [body for status, body in results if status == 409]
    assert (len(accepted), len(refused)) == (3, 9)
    assert len(set(accepted)) == 3 and min(accepted) > start
    cart = await shopper.cart()
    assert len(cart["items"]) == MAX_LINES
    assert cart["version"] == max(accepted)


async def test_quantities_written_concurrently_end_as_the_last_write(harness: Harness) -> None:
    shopper = harness.customer()
    book = product(harness)
    results = await asyncio.gather(*(shopper.put(book, q) for q in range(1, 21)))
    by_version = sorted((body["cart_version"], body["quantity"]) for _, body in results)
    assert len({version for version, _ in by_version}) == 20
    cart = await shopper.cart()
    assert cart["version"] == by_version[-1][0]
    assert cart["items"][0]["quantity"] == by_version[-1][1]


# --- who may touch which cart --------------------------------------------------------------


async def test_every_route_needs_a_valid_token(harness: Harness) -> None:
    book = product(harness)
    expired = jwt.encode(
        {"sub": "x", "role": "customer", "iss": ISSUER, "aud": AUDIENCE, "iat": 1, "exp": 2},
        harness.signing_key.private_key,
        algorithm=harness.signing_key.algorithm,
        headers={"kid": harness.signing_key.kid},
    )
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Bearer {expired}"}):
        for method, path, body in (
            ("GET", "/cart", None),
            ("PUT", f"/cart/items/{book}", {"quantity": 1}),
            ("DELETE", f"/cart/items/{book}", None),
            ("POST", "/cart/checkout", {"payment_token": "tok_visa"}),
        ):
            response = await harness.client.request(method, path, json=body, headers=headers)
            assert response.status == 401, (method, path, headers)
            assert response.content_type == PROBLEM
            assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_customer_only_ever_sees_and_changes_their_own_cart(harness: Harness) -> None:
    owner, other, admin = harness.customer(), harness.customer(), harness.customer("admin")
    book = product(harness)
    await owner.put(book, 3)
    before = await owner.cart()

    assert (await other.cart())["items"] == []
    assert (await admin.cart())["items"] == []
    assert await other.delete(book) == 204
    await other.put(book, 1)
    status, _, _ = await other.checkout()
    assert status == 202

    assert await owner.cart() == before
    assert [o["customer"] for o in harness.orders.orders_of(other.user_id)] == [other.user_id]
    assert harness.orders.orders_of(owner.user_id) == []


CALLERS = ("anonymous", "owner", "other customer", "admin")


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/cart", None, 200),
        ("PUT", "/cart/items/{book}", {"quantity": 7}, 200),
        ("DELETE", "/cart/items/{book}", None, 204),
        ("POST", "/cart/checkout", {"payment_token": "tok_visa"}, 202),
    ],
)
async def test_authorization_matrix(
    harness: Harness, caller: str, method: str, path: str, body: Any, expected: int
) -> None:
    """Anonymous gets 401; anyone else acts on their own cart and never on the owner's."""
    owner = harness.customer()
    book = product(harness)
    await owner.put(book, 2)
    before = await owner.cart()
    actor = {
        "owner": owner,
        "other customer": harness.customer(),
        "admin": harness.customer("admin"),
    }.get(caller)
    if actor is not None and actor is not owner:
        await actor.put(book, 1)  # their own cart, so that checkout has something to order
    headers = actor.auth if actor is not None else {}

    response = await harness.client.request(
        method, path.format(book=book), json=body, headers=headers
    )

    assert response.status == (401 if actor is None else expected), await response.text()
    if actor is not owner:
        assert await owner.cart() == before
        assert harness.orders.orders_of(owner.user_id) == []


# --- checkout ------------------------------------------------------------------------------


async def test_checkout_places_the_order_as_the_caller_and_empties_the_cart(
    harness: Harness,
) -> None:
    shopper = harness.customer()
    book, pen = product(harness, 2499), product(harness, 150)
    await shopper.put(pen, 3)
    await shopper.put(book, 1)
    version = (await shopper.cart())["version"]
    sent_before = len(harness.orders.requests)

    status, order, headers = await shopper.checkout("tok_visa")

    assert status == 202, order
    assert headers["Location"] == f"/orders/{order['id']}"
    assert order["status"] == "PENDING"
    sent = harness.orders.requests[sent_before:]
    assert len(sent) == 1
    assert sent[0]["headers"]["Authorization"] == f"Bearer {shopper.token}"
    assert sent[0]["headers"]["Idempotency-Key"] == f"cart-{shopper.user_id}-{version}"
    assert sent[0]["body"] == {
        "items": sorted(
            [{"product_id": book, "quantity": 1}, {"product_id": pen, "quantity": 3}],
            key=lambda item: str(item["product_id"]),
        ),
        "payment_token": "tok_visa",
    }
    cart = await shopper.cart()
    assert cart["items"] == [] and cart["version"] > version


async def test_checking_out_again_gives_the_same_order_and_orders_nothing_new(
    harness: Harness,
) -> None:
    shopper = harness.customer()
    await shopper.put(product(harness), 1)
    _, first, _ = await shopper.checkout()
    status, again, headers = await shopper.checkout()
    assert status == 202
    assert again["id"] == first["id"]
    assert headers.get("Idempotent-Replayed") == "true"
    assert len(harness.orders.orders_of(shopper.user_id)) == 1


async def test_two_checkouts_racing_on_one_cart_give_one_order(harness: Harness) -> None:
    shopper = harness.customer()
    await shopper.put(product(harness), 2)
    await shopper.put(product(harness), 1)

    results = await asyncio.gather(*(shopper.checkout() for _ in range(5)))

    assert [status for status, _, _ in results] == [202] * 5
    assert len({order["id"] for _, order, _ in results}) == 1
    assert len(harness.orders.orders_of(shopper.user_id)) == 1
    assert (await shopper.cart())["items"] == []


async def test_an_empty_cart_cannot_be_checked_out(harness: Harness) -> None:
    shopper = harness.customer()
    status, problem, _ = await shopper.checkout()
    assert_problem(status, problem, 409)
    assert problem["title"] == "Cart is empty"
    book = product(harness)
    await shopper.put(book, 1)
    await shopper.delete(book)
    status, problem, _ = await shopper.checkout()
    assert_problem(status, problem, 409)


async def test_too_little_stock_is_a_409_naming_the_products_and_orders_nothing(
    harness: Harness,
) -> None:
    shopper = harness.customer()
    plenty, scarce = product(harness, stock=10), product(harness, stock=2)
    await shopper.put(plenty, 1)
    await shopper.put(scarce, 3)
    before = await shopper.cart()
    sent_before = len(harness.orders.requests)

    status, problem, headers = await shopper.checkout()

    assert_problem(status, problem, 409)
    assert problem["title"] == "Not enough stock"
    assert headers["Content-Type"].startswith(PROBLEM)
    assert problem["products"] == [
        {"product_id": scarce, "requested": 3, "available": 2, "reason": "out_of_stock"}
    ]
    assert scarce in problem["detail"] and plenty not in problem["detail"]
    assert len(harness.orders.requests) == sent_before
    assert await shopper.cart() == before

    harness.catalog.products[scarce]["stock"] = 3
    assert (await shopper.checkout())[0] == 202


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_orders_failing_is_a_503_and_the_cart_is_untouched(
    harness: Harness, status: int
) -> None:
    shopper = harness.customer()
    await shopper.put(product(harness), 1)
    before = await shopper.cart()
    harness.orders.status_override = status

    answer, problem, headers = await shopper.checkout()

    assert_problem(answer, problem, 503)
    assert "Retry-After" in headers
    assert await shopper.cart() == before
    harness.orders.status_override = None
    assert (await shopper.checkout())[0] == 202


@pytest.mark.parametrize(("answered", "expected"), [(422, 422), (401, 401), (404, 502), (405, 502)])
async def test_orders_refusing_the_checkout_is_a_problem_and_the_cart_stays(
    harness: Harness, answered: int, expected: int
) -> None:
    shopper = harness.customer()
    await shopper.put(product(harness), 1)
    before = await shopper.cart()
    harness.orders.status_override = answered

    status, problem, headers = await shopper.checkout()

    assert_problem(status, problem, expected)
    assert headers["Content-Type"].startswith(PROBLEM)
    assert await shopper.cart() == before


async def test_a_write_racing_the_checkout_is_kept(harness: Harness) -> None:
    shopper = harness.customer()
    first, late = product(harness), product(harness)
    await shopper.put(first, 1)

    async def customer_adds_while_the_order_is_placed() -> None:
        harness.orders.before_answer = None
        assert (await shopper.put(late, 4))[0] == 200

    harness.orders.before_answer = customer_adds_while_the_order_is_placed
    status, order, _ = await shopper.checkout()

    assert status == 202
    assert order["items"] == [{"product_id": first, "quantity": 1}]
    cart = await shopper.cart()
    assert {item["product_id"]: item["quantity"] for item in cart["items"]} == {first: 1, late: 4}
    status, second, _ = await shopper.checkout()
    assert status == 202 and second["id"] != order["id"]


async def test_a_version_checked_out_with_another_token_is_a_409(harness: Harness) -> None:
    shopper = harness.customer()
    await shopper.put(product(harness), 1)
    version = (await shopper.cart())["version"]
    key = (shopper.user_id, f"cart-{shopper.user_id}-{version}")
    harness.orders.by_key[key] = ("a different body", {"id": "x", "customer": shopper.user_id})

    status, problem, _ = await shopper.checkout("tok_chargeDeclined")

    assert_problem(status, problem, 409)
    assert problem["title"] == "Checkout already placed"
    assert (await shopper.cart())["version"] == version


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "payment_token"), ({"payment_token": ""}, "payment_token"), ([], "body")],
)
async def test_a_checkout_without_a_payment_token_is_a_422(
    harness: Harness, body: Any, field: str
) -> None:
    shopper = harness.customer()
    response = await shopper.client.post("/cart/checkout", json=body, headers=shopper.auth)
    assert response.status == 422
    assert field in {error["field"] for error in (await response.json())["errors"]}


# --- dependencies down ---------------------------------------------------------------------


async def test_the_catalog_down_is_a_503_problem_never_a_500(harness: Harness) -> None:
    shopper = harness.customer()
    book = product(harness)
    await shopper.put(book, 1)
    harness.catalog.down = True
    for method, path, body in (
        ("GET", "/cart", None),
        ("PUT", f"/cart/items/{book}", {"quantity": 2}),
        ("POST", "/cart/checkout", {"payment_token": "tok_visa"}),
    ):
        response = await shopper.client.request(method, path, json=body, headers=shopper.auth)
        assert response.status == 503, (method, await response.text())
        assert response.content_type == PROBLEM
    harness.catalog.down = False
    assert (await shopper.cart())["items"][0]["quantity"] == 1


async def app_with(harness: Harness, **changes: Any) -> TestClient[Any, Any]:
    settings = dataclasses.replace(harness.settings, **changes)
    client: Client = TestClient(TestServer(build_app(settings, harness.cart_settings)))
    await client.start_server()
    return client


async def test_orders_unreachable_is_a_503_and_the_cart_is_untouched(harness: Harness) -> None:
    shopper = harness.customer()
    await shopper.put(product(harness), 1)
    before = await shopper.cart()
    client = await app_with(harness, orders_url=f"http://127.0.0.1:{free_port()}")
    try:
        response = await client.post(
            "/cart/checkout", json={"payment_token": "tok_visa"}, headers=shopper.auth
        )
        assert response.status == 503
        assert response.content_type == PROBLEM
    finally:
        await client.close()
    assert await shopper.cart() == before


async def test_redis_down_is_a_503_problem_and_not_ready(harness: Harness) -> None:
    shopper = harness.customer()
    client = await app_with(harness, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        for method, path, body in (
            ("GET", "/cart", None),
            ("PUT", f"/cart/items/{product(harness)}", {"quantity": 1}),
            ("DELETE", "/cart/items/p-1", None),
        ):
            response = await client.request(method, path, json=body, headers=shopper.auth)
            assert response.status == 503, (method, await response.text())
            assert response.content_type == PROBLEM
        ready = await client.get("/readyz")
        assert ready.status == 503
        assert "redis" in (await ready.json())["failing"]
    finally:
        await client.close()


async def test_redis_makes_the_service_ready(harness: Harness) -> None:
    response = await harness.client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready"}


async def test_the_openapi_document_describes_every_cart_route(harness: Harness) -> None:
    response = await harness.client.get("/openapi.json")
    assert response.status == 200
    document = await response.json()
    paths = document["paths"]
    expected = {
        ("/cart", "get"): {"200", "401", "503"},
        ("/cart/items/{product_id}", "put"): {"200", "401", "404", "409", "422", "503"},
        ("/cart/items/{product_id}", "delete"): {"204", "401", "503"},
        ("/cart/checkout", "post"): {"202", "401", "409", "422", "503"},
    }
    for (path, method), statuses in expected.items():
        described = paths[path][method]
        assert described["security"] == [{"bearerAuth": []}], (path, method)
        assert statuses <= set(described["responses"]), (path, method)
    schemas = document["components"]["schemas"]
    assert {"CartOut", "CartItemOut", "SetQuantityRequest", "CheckoutRequest"} <= set(schemas)
    quantity = schemas["SetQuantityRequest"]["properties"]["quantity"]
    assert (quantity["minimum"], quantity["maximum"]) == (1, 100)
    assert (await harness.client.get("/docs")).status == 200
