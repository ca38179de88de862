"""The catalog's admin routes, categories and API document, over HTTP through the real app
factory, against the AWS emulator, with real tokens signed by the key in Secrets Manager."""

import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.catalog.inventory.reservation import Line
from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.catalog.products.demo_seed import seed_demo_catalog
from ecommerce.catalog.products.public_api import build_app
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.http.auth import AUDIENCE, ISSUER
from ecommerce.platform.jwt_keys import current_signing_key, sign
from ecommerce.resources import secret_id

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
Client = TestClient[Any, Any]
ROLES = ("anonymous", "customer", "admin")


async def signed_token(role: str, *, ttl: int = 600) -> str:
    """A token as the users service issues it, signed with the current key of the stack."""
    clients = AwsClients(os.environ["AWS_REGION"])
    try:
        secrets = await clients.client("secretsmanager")
        found = await secrets.get_secret_value(SecretId=secret_id("jwt-signing-keys"))
    finally:
        await clients.close()
    now = int(time.time())
    claims = {
        "sub": f"u-{uuid.uuid4().hex[:12]}",
        "email": f"{role}@example.com",
        "role": role,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + ttl,
    }
    return sign(current_signing_key(found["SecretString"]), claims)


async def role_headers() -> dict[str, dict[str, str]]:
    return {
        "anonymous": {},
        "customer": {"Authorization": f"Bearer {await signed_token('customer')}"},
        "admin": {"Authorization": f"Bearer {await signed_token('admin')}"},
    }


@pytest.fixture(scope="module")
async def client(provisioned: Any) -> AsyncIterator[Client]:
    clients = AwsClients(os.environ["AWS_REGION"])
    await seed_demo_catalog(clients)
    await clients.close()
    async with TestClient(TestServer(build_app(Settings.from_env("catalog")))) as client:
        yield client


@pytest.fixture(scope="module")
async def headers(provisioned: Any) -> dict[str, dict[str, str]]:
    return await role_headers()


@pytest.fixture
def admin(headers: dict[str, dict[str, str]]) -> dict[str, str]:
    return headers["admin"]


def new_category() -> str:
    return f"c-{uuid.uuid4().hex[:12]}"


def product_body(category: str = "garden", **changes: Any) -> dict[str, Any]:
    body = {
        "name": "Watering Can",
        "description": "Galvanised, 10 l.",
        "category": category,
        "price": {"amount": 2599, "currency": "USD"},
        "stock": 12,
    }
    body.update(changes)
    return body


async def create(client: Client, admin: dict[str, str], **changes: Any) -> dict[str, Any]:
    response = await client.post("/products", json=product_body(**changes), headers=admin)
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def listed(client: Client, category: str, limit: int = 100) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params = {"category": category, "limit": str(limit)}
    for _ in range(100):
        page = await (await client.get("/products", params=params)).json()
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]
    raise AssertionError("the pages never end")


async def categories(client: Client) -> dict[str, int]:
    response = await client.get("/categories")
    assert response.status == 200
    return {item["name"]: item["count"] for item in (await response.json())["items"]}


# --- authorization: every catalog route against anonymous, customer and admin ---------------

Route = tuple[str, str, dict[str, Any] | None, int]
ADMIN_ROUTES: list[Route] = [
    ("POST", "/products", product_body(), 201),
    ("PATCH", "/products/{id}", {"name": "Renamed"}, 200),
    ("DELETE", "/products/{id}", None, 204),
    ("PUT", "/products/{id}/stock", {"stock": 3, "expected_stock": 12}, 200),
    ("POST", "/products/{id}/images", {"content_type": "image/png"}, 201),
    ("GET", "/products/{id}/images", None, 200),
    ("DELETE", "/products/{id}/images/{upload_id}", None, 404),  # no such upload: a 404
]
PUBLIC_ROUTES: list[Route] = [
    ("GET", "/products", None, 200),
    ("GET", "/products/{id}", None, 200),
    ("GET", "/categories", None, 200),
    ("GET", "/openapi.json", None, 200),
    ("GET", "/docs", None, 200),
    ("GET", "/healthz", None, 200),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "body", "ok"), ADMIN_ROUTES + PUBLIC_ROUTES)
async def test_every_route_answers_each_role_as_the_matrix_says(
    client: Client,
    headers: dict[str, dict[str, str]],
    role: str,
    method: str,
    path: str,
    body: Any,
    ok: int,
) -> None:
    product = await create(client, headers["admin"])
    url = path.format(id=product["id"], upload_id="0" * 32)
    response = await client.request(method, url, json=body, headers=headers[role])
    public = (method, path, body, ok) in PUBLIC_ROUTES
    expected = ok if public or role == "admin" else {"anonymous": 401, "customer": 403}[role]
    assert response.status == expected, await response.text()
    if expected >= 400:
        assert response.content_type == PROBLEM
        if expected == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"
        after = await client.get(f"/products/{product['id']}")
        assert (await after.json())["name"] == product["name"], "nothing changed"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-jwt", "Basic YWRtaW46YWRtaW4=", "Bearer ", "bearer"],
)
async def test_a_bad_or_foreign_credential_is_a_401(client: Client, authorization: str) -> None:
    response = await client.post(
        "/products", json=product_body(), headers={"Authorization": authorization}
    )
    assert response.status == 401
    assert response.content_type == PROBLEM


async def test_an_expired_admin_token_is_a_401(client: Client) -> None:
    token = await signed_token("admin", ttl=-60)
    response = await client.post(
        "/products", json=product_body(), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401


async def test_a_customer_learns_nothing_from_a_bad_body_or_a_missing_product(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    customer = headers["customer"]
    assert (await client.post("/products", json={"x": 1}, headers=customer)).status == 403
    assert (await client.delete("/products/p-none", headers=customer)).status == 403


# --- create ------------------------------------------------------------------------------


async def test_an_admin_creates_a_product_with_a_generated_id(
    client: Client, admin: dict[str, str]
) -> None:
    category = new_category()
    response = await client.post(
        "/products",
        json=product_body(category=f"  {category.upper()} ", name="  Trowel "),
        headers=admin,
    )
    assert response.status == 201
    product = await response.json()
    assert response.headers["Location"] == f"/products/{product['id']}"
    assert product["id"].startswith("p-")
    assert (product["name"], product["category"], product["stock"]) == ("Trowel", category, 12)
    assert product["price"] == {"amount": 2599, "currency": "USD"}
    assert product["images"] == [] and product["thumbnail_url"] is None
    again = await (await client.get(f"/products/{product['id']}")).json()
    assert again == product
    assert [p["id"] for p in await listed(client, category)] == [product["id"]]


async def test_two_creations_of_the_same_body_are_two_products(
    client: Client, admin: dict[str, str]
) -> None:
    first, second = await asyncio.gather(create(client, admin), create(client, admin))
    assert first["id"] != second["id"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name", "category", "price", "stock"}),
        (product_body(name="   "), {"name"}),
        (product_body(name="x" * 201), {"name"}),
        (product_body(description="x" * 2001), {"description"}),
        (product_body(category="Dry Goods!"), {"category"}),
        (product_body(price={"amount": 19.99, "currency": "USD"}), {"price.amount"}),
        (product_body(price={"amount": "1999", "currency": "USD"}), {"price.amount"}),
        (product_body(price={"amount": -1, "currency": "USD"}), {"price.amount"}),
        (product_body(price={"amount": 100, "currency": "usd"}), {"price.currency"}),
        (product_body(price=1999), {"price"}),
        (product_body(stock=-1), {"stock"}),
        (product_body(stock=True), {"stock"}),
        (product_body(stock="5"), {"stock"}),
        (product_body(stock=10**12), {"stock"}),
        (product_body(id="p-mine"), {"id"}),
        ([product_body()], {"body"}),
    ],
)
async def test_an_invalid_product_is_a_422_naming_each_field(
    client: Client, admin: dict[str, str], body: Any, fields: set[str]
) -> None:
    response = await client.post("/products", json=body, headers=admin)
    assert response.status == 422, await response.text()
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert {error["field"] for error in problem["errors"]} == fields
    assert all(error["message"] for error in problem["errors"])


async def test_malformed_and_oversized_bodies_are_4xx_problems(
    client: Client, admin: dict[str, str]
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    malformed = await client.post("/products", data=b"{not json", headers=headers)
    assert (malformed.status, malformed.content_type) == (400, PROBLEM)
    huge = await client.post("/products", data=b" " * (65 * 1024), headers=headers)
    assert (huge.status, huge.content_type) == (413, PROBLEM)


# --- change and delete ---------------------------------------------------------------------


async def test_a_patch_changes_only_the_fields_it_names(
    client: Client, admin: dict[str, str]
) -> None:
    product = await create(client, admin)
    response = await client.patch(
        f"/products/{product['id']}",
        json={"name": "Big Watering Can", "price": {"amount": 3100, "currency": "EUR"}},
        headers=admin,
    )
    assert response.status == 200
    changed = await response.json()
    assert (changed["name"], changed["price"]) == (
        "Big Watering Can",
        {"amount": 3100, "currency": "EUR"},
    )
    unchanged = ("id", "description", "category", "stock")
    assert {k: changed[k] for k in unchanged} == {k: product[k] for k in unchanged}
    assert await (await client.get(f"/products/{product['id']}")).json() == changed


async def test_a_category_change_moves_the_product_between_listings_and_counts(
    client: Client, admin: dict[str, str]
) -> None:
    old, new = new_category(), new_category()
    product = await create(client, admin, category=old)
    await create(client, admin, category=old)
    assert {k: v for k, v in (await categories(client)).items() if k in (old, new)} == {old: 2}

    response = await client.patch(
        f"/products/{product['id']}", json={"category": new}, headers=admin
    )
    assert response.status == 200

    assert product["id"] not in [p["id"] for p in await listed(client, old)]
    assert [p["id"] for p in await listed(client, new)] == [product["id"]]
    counts = await categories(client)
    assert (counts[old], counts[new]) == (1, 1)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"stock": 5}, {"stock"}),
        ({"name": None}, {"name"}),
        ({"category": "not ok"}, {"category"}),
        ({"price": {"amount": 1}}, {"price.currency"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
async def test_an_invalid_patch_is_a_422_and_changes_nothing(
    client: Client, admin: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    product = await create(client, admin)
    response = await client.patch(f"/products/{product['id']}", json=body, headers=admin)
    assert response.status == 422
    assert {error["field"] for error in (await response.json())["errors"]} == fields
    assert await (await client.get(f"/products/{product['id']}")).json() == product


async def test_an_empty_patch_returns_the_product_as_it_is(
    client: Client, admin: dict[str, str]
) -> None:
    product = await create(client, admin)
    response = await client.patch(f"/products/{product['id']}", json={}, headers=admin)
    assert (response.status, await response.json()) == (200, product)


async def test_a_deleted_product_is_gone_everywhere_and_a_second_delete_is_a_404(
    client: Client, admin: dict[str, str]
) -> None:
    category = new_category()
    product = await create(client, admin, category=category)
    keep = await create(client, admin, category=category)
    url = f"/products/{product['id']}"

    assert (await client.delete(url, headers=admin)).status == 204

    assert (await client.get(url)).status == 404
    assert [p["id"] for p in await listed(client, category)] == [keep["id"]]
    assert (await categories(client))[category] == 1
    for method, path, body in [
        ("DELETE", url, None),
        ("PATCH", url, {"name": "Zombie"}),
        ("PUT", f"{url}/stock", {"stock": 1, "expected_stock": 0}),
        ("POST", f"{url}/images", {}),
        ("GET", f"{url}/images", None),
    ]:
        response = await client.request(method, path, json=body, headers=admin)
        assert (response.status, response.content_type) == (404, PROBLEM), (method, path)


@pytest.mark.parametrize("product_id", ["p-does-not-exist", "bad%20id", "x" * 300])
async def test_admin_routes_on_an_unknown_product_are_404s(
    client: Client, admin: dict[str, str], product_id: str
) -> None:
    for method, body in [("PATCH", {"name": "x"}), ("DELETE", None)]:
        response = await client.request(method, f"/products/{product_id}", json=body, headers=admin)
        assert response.status == 404


# --- stock -----------------------------------------------------------------------------------


async def test_stock_is_set_when_it_still_is_what_the_admin_read(
    client: Client, admin: dict[str, str]
) -> None:
    product = await create(client, admin, stock=12)
    url = f"/products/{product['id']}/stock"
    response = await client.put(url, json={"stock": 40, "expected_stock": 12}, headers=admin)
    assert response.status == 200
    assert (await response.json())["stock"] == 40
    retried = await client.put(url, json={"stock": 40, "expected_stock": 12}, headers=admin)
    assert (retried.status, (await retried.json())["stock"]) == (200, 40), "a retry is harmless"


async def test_a_reservation_between_read_and_write_is_a_409_and_is_not_lost(
    client: Client, admin: dict[str, str], provisioned: Any
) -> None:
    product = await create(client, admin, stock=10)
    read = (await (await client.get(f"/products/{product['id']}")).json())["stock"]
    clients = AwsClients(os.environ["AWS_REGION"])
    try:
        reservations = ReservationStore(await clients.client("dynamodb"))
        result = await reservations.reserve(str(uuid.uuid4()), [Line(product["id"], 3)])
    finally:
        await clients.close()
    assert result.reserved

    response = await client.put(
        f"/products/{product['id']}/stock",
        json={"stock": read + 5, "expected_stock": read},
        headers=admin,
    )

    assert response.status == 409
    assert response.content_type == PROBLEM
    assert (await response.json())["current_stock"] == 7
    assert (await (await client.get(f"/products/{product['id']}")).json())["stock"] == 7


async def test_concurrent_stock_writes_from_one_reading_let_exactly_one_win(
    client: Client, admin: dict[str, str]
) -> None:
    product = await create(client, admin, stock=5)
    url = f"/products/{product['id']}/stock"
    responses = await asyncio.gather(
        *(client.put(url, json={"stock": n, "expected_stock": 5}, headers=admin) for n in range(10))
    )
    assert sorted(r.status for r in responses) == [200] + [409] * 9
    [winner] = [n for n, r in enumerate(responses) if r.status == 200]
    assert (await (await client.get(f"/products/{product['id']}")).json())["stock"] == winner


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"stock": 5}, {"expected_stock"}),
        ({"stock": -1, "expected_stock": 0}, {"stock"}),
        ({"stock": 1.5, "expected_stock": 0}, {"stock"}),
        ({"stock": "3", "expected_stock": "2"}, {"stock", "expected_stock"}),
    ],
)
async def test_an_invalid_stock_body_is_a_422(
    client: Client, admin: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    product = await create(client, admin)
    response = await client.put(f"/products/{product['id']}/stock", json=body, headers=admin)
    assert response.status == 422
    assert {error["field"] for error in (await response.json())["errors"]} == fields


# --- categories and listing by category --------------------------------------------------


async def test_categories_count_the_products_of_each(client: Client, admin: dict[str, str]) -> None:
    category = new_category()
    for _ in range(3):
        await create(client, admin, category=category)
    counts = await categories(client)
    assert counts[category] == 3
    assert counts["books"] >= 4, "the demo catalog's categories are there"
    body = await (await client.get("/categories")).json()
    names = [item["name"] for item in body["items"]]
    assert names == sorted(names)


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
async def test_a_category_pages_through_the_index_without_gaps_or_repeats(
    client: Client, admin: dict[str, str], limit: int
) -> None:
    category = new_category()
    ids = {(await create(client, admin, category=category))["id"] for _ in range(7)}
    await create(client, admin, category=f"{category}-other")
    pages: list[list[str]] = []
    params = {"category": category, "limit": str(limit)}
    while True:
        page = await (await client.get("/products", params=params)).json()
        pages.append([item["id"] for item in page["items"]])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    flat = [product_id for page in pages for product_id in page]
    assert sorted(flat) == sorted(ids)
    assert all(len(page) == limit for page in pages[:-1])
    assert pages[-1], "no empty last page when the count is a multiple of the limit"


# --- image uploads (the form; the worker is tested in test_images_worker) ----------------


async def test_an_upload_is_a_presigned_post_for_one_key_under_uploads(
    client: Client, admin: dict[str, str]
) -> None:
    product = await create(client, admin)
    response = await client.post(
        f"/products/{product['id']}/images", json={"content_type": "image/webp"}, headers=admin
    )
    assert response.status == 201
    upload = await response.json()
    assert upload["key"] == f"uploads/{product['id']}/{upload['upload_id']}"
    assert upload["fields"]["key"] == upload["key"]
    assert upload["fields"]["Content-Type"] == "image/webp"
    assert upload["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert upload["url"].startswith("http")
    assert (upload["max_bytes"], upload["content_types"]) == (
        5 * 1024 * 1024,
        ["image/jpeg", "image/png", "image/webp"],
    )
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, 5 * 1024 * 1024] in conditions
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert {"key": upload["key"]} in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 600
    without_body = await client.post(f"/products/{product['id']}/images", headers=admin)
    assert without_body.status == 201
    assert "Content-Type" not in (await without_body.json())["fields"]


@pytest.mark.parametrize("content_type", ["image/gif", "text/plain", 7])
async def test_an_upload_of_a_type_the_worker_refuses_is_a_422(
    client: Client, admin: dict[str, str], content_type: Any
) -> None:
    product = await create(client, admin)
    response = await client.post(
        f"/products/{product['id']}/images", json={"content_type": content_type}, headers=admin
    )
    assert response.status == 422
    assert {error["field"] for error in (await response.json())["errors"]} == {"content_type"}


# --- the API document ----------------------------------------------------------------------


async def test_the_openapi_document_describes_every_catalog_route_and_its_problems(
    client: Client,
) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    operations = {
        (method.upper(), path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    admin_routes = {(m, p.replace("{id}", "{product_id}")) for m, p, _, _ in ADMIN_ROUTES}
    assert ("DELETE", "/products/{product_id}/images/{upload_id}") in admin_routes
    public_routes = {
        (m, p.replace("{id}", "{product_id}"))
        for m, p, _, _ in PUBLIC_ROUTES
        if p not in ("/openapi.json", "/docs")  # the document's own routes are not operations
    }
    assert admin_routes | public_routes <= set(operations)
    assert not {("GET", "/openapi.json"), ("GET", "/docs")} & set(operations)
    for route in admin_routes:
        operation = operations[route]
        assert operation["x-required-role"] == "admin", route
        assert {"401", "403"} <= set(operation["responses"]), route
        if route != ("POST", "/products"):
            assert "404" in operation["responses"], route
    for route in public_routes:
        assert "security" not in operations[route], route
    for route, operation in operations.items():
        if "requestBody" in operation:
            assert "422" in operation["responses"], route
    assert "409" in operations[("PUT", "/products/{product_id}/stock")]["responses"]
    schemas = document["components"]["schemas"]
    assert {"ProductIn", "ProductDetailOut", "UploadOut", "StockIn", "CategoriesOut"} <= set(
        schemas
    )
    assert schemas["ProductIn"]["properties"]["stock"]["minimum"] == 0
    assert "stock" not in schemas["ProductPatch"]["properties"]
    docs = await client.get("/docs")
    assert docs.content_type == "text/html"
    assert "/products/{product_id}/stock" in await docs.text()
