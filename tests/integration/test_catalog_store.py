"""The products adapter and the demo seed against DynamoDB (the AWS emulator)."""

import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ecommerce.catalog.inventory.reservation import Line
from ecommerce.catalog.inventory.reservation_store import ReservationStore
from ecommerce.catalog.products import product_store as store_module
from ecommerce.catalog.products.demo_products import DEMO_PRODUCTS
from ecommerce.catalog.products.demo_seed import seed_demo_catalog
from ecommerce.catalog.products.product import Money, Product, ProductChanges
from ecommerce.catalog.products.product_items import to_item
from ecommerce.catalog.products.product_store import ProductStore, StockConflict
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical

pytestmark = pytest.mark.integration


@pytest.fixture
async def clients(provisioned: Any) -> AsyncIterator[AwsClients]:
    clients = AwsClients(os.environ["AWS_REGION"])
    yield clients
    await clients.close()


@pytest.fixture
async def dynamodb(clients: AwsClients) -> Any:
    return await clients.client("dynamodb")


@pytest.fixture
def store(dynamodb: Any) -> ProductStore:
    return ProductStore(dynamodb, physical("products"))


def a_product(category: str, number: int = 0) -> Product:
    return Product(
        id=f"t-{uuid.uuid4().hex[:12]}",
        name=f"Test product {number}",
        description="",
        category=category,
        price=Money(100 + number, "USD"),
        stock=number,
        created_at="2030-01-01T00:00:00+00:00",
        updated_at="2030-01-01T00:00:00+00:00",
    )


async def walk(store: ProductStore, limit: int, category: str | None) -> list[list[Product]]:
    pages: list[list[Product]] = []
    after: str | None = None
    for _ in range(500):
        products, after = await store.page(limit, after, category)
        assert len(products) <= limit
        pages.append(products)
        if after is None:
            return pages
    raise AssertionError("the pages never end")


async def test_seeding_twice_adds_the_demo_catalog_once_and_keeps_stock(
    clients: AwsClients, store: ProductStore, dynamodb: Any
) -> None:
    await seed_demo_catalog(clients)
    await dynamodb.update_item(
        TableName=physical("products"),
        Key={"pk": {"S": "PRODUCT#p-024"}},
        UpdateExpression="SET stock = :s",
        ExpressionAttributeValues={":s": {"N": "1"}},
    )

    assert await seed_demo_catalog(clients) == 0

    for product_id, name, _, category, amount, _ in DEMO_PRODUCTS:
        product = await store.get(product_id)
        assert product is not None
        assert (product.name, product.category, product.price) == (
            name,
            category,
            Money(amount, "USD"),
        )
    lamp = await store.get("p-024")
    assert lamp is not None and lamp.stock == 1


async def test_add_if_absent_says_whether_it_added(store: ProductStore) -> None:
    product = a_product("tools", 3)
    assert await store.add_if_absent(product) is True
    assert await store.add_if_absent(Product(**{**product.__dict__, "stock": 99})) is False
    assert await store.get(product.id) == product
    assert await store.get("no-such-product") is None


@pytest.mark.parametrize(("batch", "limit"), [(100, 3), (4, 3), (2, 5), (3, 1)])
async def test_pages_list_each_product_of_a_category_once_and_nothing_else(
    store: ProductStore, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, batch: int, limit: int
) -> None:
    monkeypatch.setattr(store_module, "SCAN_BATCH", batch)
    category = f"c-{uuid.uuid4().hex[:10]}"
    products = [a_product(category, n) for n in range(7)]
    for product in products:
        assert await store.add_if_absent(product)
        await dynamodb.put_item(
            TableName=physical("products"),
            Item={**to_item(a_product(category)), "pk": {"S": f"RESERVATION#{uuid.uuid4()}"}},
        )
    await store.add_if_absent(a_product(f"{category}-other"))

    pages = await walk(store, limit, category)

    listed = [product for page in pages for product in page]
    assert sorted(p.id for p in listed) == sorted(p.id for p in products)
    assert sorted(listed, key=lambda p: p.id) == sorted(products, key=lambda p: p.id)


async def test_unfiltered_pages_hold_every_product_and_no_reservation(
    clients: AwsClients, store: ProductStore, dynamodb: Any
) -> None:
    await seed_demo_catalog(clients)
    decoy = a_product("decoy")
    await dynamodb.put_item(
        TableName=physical("products"),
        Item={**to_item(decoy), "pk": {"S": f"RESERVATION#{decoy.id}"}},
    )

    listed = [p.id for page in await walk(store, 100, None) for p in page]

    assert len(listed) == len(set(listed))
    assert {product_id for product_id, *_ in DEMO_PRODUCTS} <= set(listed)
    assert decoy.id not in listed


async def test_the_store_answers_its_readiness_probe(store: ProductStore) -> None:
    await store.ping()


async def test_a_deleted_product_is_a_tombstone_the_inventory_can_still_release_against(
    clients: AwsClients, store: ProductStore, dynamodb: Any
) -> None:
    category = f"c-{uuid.uuid4().hex[:10]}"
    product = a_product(category, 5)
    await store.add_if_absent(product)
    reservations = ReservationStore(dynamodb)
    order_id = str(uuid.uuid4())
    assert (await reservations.reserve(order_id, [Line(product.id, 2)])).reserved

    assert await store.delete(product.id, "2030-01-02T00:00:00+00:00") is True

    assert await store.get(product.id) is None
    assert await store.delete(product.id, "2030-01-03T00:00:00+00:00") is False
    assert await walk(store, 10, category) == [[]]
    assert category not in await store.category_counts()
    assert await store.set_stock(product.id, 9, 0, "2030-01-03T00:00:00+00:00") is None
    assert not (await reservations.reserve(str(uuid.uuid4()), [Line(product.id, 1)])).reserved
    reservation = await reservations.get(order_id)
    assert reservation is not None
    assert await reservations.release(reservation) is True, "the order's stock still goes back"
    assert await store.get(product.id) is None


async def test_stock_is_compare_and_set(store: ProductStore) -> None:
    product = a_product("tools", 5)
    await store.add_if_absent(product)
    now = "2030-01-02T00:00:00+00:00"
    assert await store.set_stock(product.id, 8, 4, now) == StockConflict(5)
    updated = await store.set_stock(product.id, 8, 5, now)
    assert isinstance(updated, Product) and (updated.stock, updated.updated_at) == (8, now)
    assert await store.set_stock(product.id, 8, 5, now) == updated, "a repeat succeeds"
    assert await store.set_stock("no-such-product", 1, 0, now) is None


async def test_an_update_sets_only_the_given_fields_and_never_stock(store: ProductStore) -> None:
    product = a_product("tools", 5)
    await store.add_if_absent(product)
    now = "2030-01-02T00:00:00+00:00"
    changed = await store.update(product.id, ProductChanges(price=Money(999, "EUR")), now)
    assert changed == Product(**{**product.__dict__, "price": Money(999, "EUR"), "updated_at": now})
    assert await store.update("no-such-product", ProductChanges(name="x"), now) is None


async def test_a_product_written_before_images_existed_reads_and_counts(
    store: ProductStore, dynamodb: Any
) -> None:
    product = a_product(f"c-{uuid.uuid4().hex[:10]}", 1)
    item = {k: v for k, v in to_item(product).items() if k != "images"}
    await dynamodb.put_item(TableName=physical("products"), Item=item)
    assert await store.get(product.id) == product
    assert (await store.category_counts())[product.category] == 1
