"""The catalog frontend, built by its real app factory, over HTTP against the AWS emulator."""

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.catalog.products.demo_products import DEMO_PRODUCTS
from ecommerce.catalog.products.demo_seed import seed_demo_catalog
from ecommerce.catalog.products.public_api import build_app
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
async def client(provisioned: Any) -> AsyncIterator[Client]:
    clients = AwsClients(os.environ["AWS_REGION"])
    await seed_demo_catalog(clients)
    await clients.close()
    async with TestClient(TestServer(build_app(Settings.from_env("catalog")))) as client:
        yield client


async def all_pages(client: Client, query: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params = dict(query)
    for _ in range(200):
        response = await client.get("/products", params=params)
        assert response.status == 200, await response.text()
        page = await response.json()
        assert set(page) == {"items", "next_cursor"}
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items
        params["cursor"] = page["next_cursor"]
    raise AssertionError("the pages never end")


async def test_a_product_has_its_price_as_money_and_its_stock(client: Client) -> None:
    response = await client.get("/products/p-001")
    assert response.status == 200
    product_id, name, description, category, amount, _ = DEMO_PRODUCTS[0]
    product = await response.json()
    assert set(product) == {
        "id", "name", "description", "category", "price", "stock", "thumbnail_url", "images"
    }  # fmt: skip
    assert product["price"] == {"amount": amount, "currency": "USD"}
    assert (product["id"], product["name"], product["description"], product["category"]) == (
        product_id, name, description, category
    )  # fmt: skip
    assert isinstance(product["stock"], int) and product["stock"] >= 0


@pytest.mark.parametrize(
    "path", ["/products/p-999", "/products/bad%20id", "/products/" + "x" * 300]
)
async def test_an_unknown_product_is_a_404_problem(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert response.content_type == PROBLEM
    assert (await response.json())["status"] == 404


async def test_the_first_page_has_twenty_products_by_default_and_a_cursor(client: Client) -> None:
    response = await client.get("/products")
    page = await response.json()
    assert 1 <= len(page["items"]) <= 20
    assert isinstance(page["next_cursor"], str)


async def test_following_cursors_lists_a_category_whole(client: Client) -> None:
    books = {
        product_id for product_id, _, _, category, _, _ in DEMO_PRODUCTS if category == "books"
    }
    items = await all_pages(client, {"category": "books", "limit": "2"})
    assert {item["id"] for item in items} >= books
    assert all(item["category"] == "books" for item in items)
    assert len(items) == len({item["id"] for item in items})


async def test_every_demo_product_is_listed_once(client: Client) -> None:
    items = await all_pages(client, {"limit": "7"})
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert {product_id for product_id, *_ in DEMO_PRODUCTS} <= set(ids)


async def test_an_unknown_category_is_an_empty_list(client: Client) -> None:
    response = await client.get("/products", params={"category": "no-such-category"})
    assert await response.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ({"limit": "0"}, "Invalid query parameter"),
        ({"limit": "101"}, "Invalid query parameter"),
        ({"limit": "ten"}, "Invalid query parameter"),
        ({"category": "Not A Category!"}, "Invalid query parameter"),
        ({"cursor": "garbage"}, "Invalid cursor"),
        ({"cursor": "eyJ2IjogMSwgImsiOiA3fQ"}, "Invalid cursor"),
    ],
)
async def test_bad_list_parameters_are_400_problems(
    client: Client, query: dict[str, str], title: str
) -> None:
    response = await client.get("/products", params=query)
    assert response.status == 400
    assert response.content_type == PROBLEM
    assert (await response.json())["title"] == title


async def test_the_products_table_makes_the_service_ready(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
