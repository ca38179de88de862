from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

from ecommerce.catalog.images.product_image import ImageFacts, ImageStatus, ProductImage
from ecommerce.catalog.products.demo_seed import demo_catalog
from ecommerce.catalog.products.product import Money, Product
from ecommerce.catalog.products.product_items import from_item, is_deleted, readable, to_item
from ecommerce.catalog.products.response_bodies import ProductOut

LAMP = Product(
    id="p-024",
    name="Desk Lamp",
    description="LED, dimmable.",
    category="home",
    price=Money(5400, "USD"),
    stock=5,
    created_at="2030-01-01T00:00:00+00:00",
    updated_at="2030-01-02T00:00:00+00:00",
)


def test_the_item_layout_is_the_one_the_inventory_worker_relies_on() -> None:
    item = to_item(LAMP)
    assert item["pk"] == {"S": "PRODUCT#p-024"}
    assert item["price_amount"] == {"N": "5400"}
    assert item["currency"] == {"S": "USD"}
    assert item["stock"] == {"N": "5"}
    assert from_item(item) == LAMP


def test_attributes_written_by_others_are_ignored() -> None:
    item = {**to_item(LAMP), "version": {"N": "7"}, "reserved": {"N": "2"}}
    assert from_item(item) == LAMP


def test_the_api_shape_has_price_as_money_and_stock() -> None:
    assert ProductOut.of(LAMP).model_dump() == {
        "id": "p-024",
        "name": "Desk Lamp",
        "description": "LED, dimmable.",
        "category": "home",
        "price": {"amount": 5400, "currency": "USD"},
        "stock": 5,
        "thumbnail_url": None,
    }


def test_images_round_trip_through_the_item() -> None:
    ready = ProductImage(
        upload_id="a" * 32,
        key="uploads/p-024/" + "a" * 32,
        status=ImageStatus.READY,
        uploaded_at="2030-01-03T00:00:00.000Z",
        thumbnails=((128, "thumbnails/p-024/a-128.webp"), (512, "thumbnails/p-024/a-512.webp")),
        facts=ImageFacts("PNG", 640, 480),
        etag="abc",
    )
    rejected = ProductImage(
        upload_id="b" * 32,
        key="uploads/p-024/" + "b" * 32,
        status=ImageStatus.REJECTED,
        uploaded_at="2030-01-04T00:00:00.000Z",
        reason="not a readable image",
    )
    lamp = replace(LAMP, images=(ready, rejected))
    item = to_item(lamp)
    assert item["images"]["M"][ready.upload_id]["M"]["thumbnails"] == {
        "M": {"128": {"S": ready.thumbnails[0][1]}, "512": {"S": ready.thumbnails[1][1]}}
    }
    assert sorted(from_item(item).images, key=lambda i: i.upload_id) == [ready, rejected]


def test_an_unreadable_image_entry_is_left_out_not_fatal() -> None:
    item = to_item(LAMP)
    item["images"] = {"M": {"x": {"M": {"status": {"S": "exploded"}}}, "y": {"S": "nope"}}}
    assert from_item(item) == LAMP


def test_a_deleted_product_is_a_tombstone() -> None:
    assert not is_deleted(to_item(LAMP))
    assert is_deleted({**to_item(LAMP), "deleted_at": {"S": "2030-01-05T00:00:00+00:00"}})


def test_the_demo_catalog_has_twenty_products_with_stock_across_categories() -> None:
    products = demo_catalog(datetime(2030, 1, 1, tzinfo=UTC))
    ids = [product.id for product in products]
    assert len(products) >= 20
    assert len(set(ids)) == len(ids)
    assert ids[:3] == ["p-001", "p-002", "p-003"]
    assert all(product.stock > 0 for product in products)
    assert len(Counter(product.category for product in products)) >= 4


def test_missing_descriptive_attributes_get_defaults() -> None:
    bare = {
        "pk": {"S": "PRODUCT#t-1"},
        "id": {"S": "t-1"},
        "name": {"S": "Bare"},
        "price_amount": {"N": "100"},
        "currency": {"S": "USD"},
        "stock": {"N": "2"},
    }
    product = from_item(bare)
    assert (product.category, product.description, product.stock) == ("uncategorized", "", 2)


def test_a_listing_skips_an_item_it_cannot_read() -> None:
    broken = {k: v for k, v in to_item(LAMP).items() if k != "price_amount"}
    negative = {**to_item(LAMP), "stock": {"N": "-1"}}
    assert readable([broken, to_item(LAMP), negative]) == [LAMP]
