"""The admin use cases and the categories cache, through the service layer with fakes."""

import asyncio
from dataclasses import replace

import pytest

from ecommerce.catalog.images.image_bucket import PresignedUpload
from ecommerce.catalog.images.product_image import (
    MAX_IMAGES_PER_PRODUCT,
    MAX_UPLOADS_PER_PRODUCT,
    ImageStatus,
    ProductImage,
)
from ecommerce.catalog.products.admin_use_cases import CatalogAdmin, TooManyImages
from ecommerce.catalog.products.categories import CategoryCounts
from ecommerce.catalog.products.product import Money, Product, ProductChanges
from ecommerce.catalog.products.product_store import StockConflict
from ecommerce.catalog.products.request_bodies import ProductPatch

NOW = "2030-01-01T00:00:00+00:00"


class FakeStore:
    def __init__(self) -> None:
        self.products: dict[str, Product] = {}
        self.collide = 0

    async def get(self, product_id: str) -> Product | None:
        return self.products.get(product_id)

    async def add_if_absent(self, product: Product) -> bool:
        if self.collide:
            self.collide -= 1
            return False
        self.products[product.id] = product
        return True

    async def update(self, product_id: str, changes: ProductChanges, now: str) -> Product | None:
        product = self.products.get(product_id)
        if product is None:
            return None
        fields = {k: v for k, v in changes.__dict__.items() if v is not None}
        self.products[product_id] = replace(product, **fields, updated_at=now)
        return self.products[product_id]

    async def delete(self, product_id: str, now: str) -> bool:
        return self.products.pop(product_id, None) is not None

    async def remove_image(self, product_id: str, upload_id: str, now: str) -> bool:
        product = self.products.get(product_id)
        if product is None or upload_id not in {i.upload_id for i in product.images}:
            return False
        images = tuple(i for i in product.images if i.upload_id != upload_id)
        self.products[product_id] = replace(product, images=images)
        return True

    async def set_stock(
        self, product_id: str, stock: int, expected: int, now: str
    ) -> Product | StockConflict | None:
        product = self.products.get(product_id)
        if product is None:
            return None
        if product.stock != expected:
            return StockConflict(product.stock)
        self.products[product_id] = replace(product, stock=stock)
        return self.products[product_id]


class FakeSigner:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def presigned_upload(self, key: str, content_type: str | None) -> PresignedUpload:
        self.keys.append(key)
        return PresignedUpload("http://s3/bucket", {"key": key}, 600)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def changes() -> list[str]:
    return []


@pytest.fixture
def admin(store: FakeStore, changes: list[str]) -> CatalogAdmin:
    return CatalogAdmin(store, FakeSigner(), changed=lambda: changes.append("x"), clock=lambda: NOW)


async def a_product(admin: CatalogAdmin, stock: int = 5) -> Product:
    return await admin.create(
        name="Lamp", description="", category="home", price=Money(100, "USD"), stock=stock
    )


async def test_create_generates_an_id_and_retries_a_collision(
    admin: CatalogAdmin, store: FakeStore, changes: list[str]
) -> None:
    store.collide = 2
    product = await a_product(admin)
    assert product.id.startswith("p-") and len(product.id) == 34
    assert (product.created_at, product.updated_at) == (NOW, NOW)
    assert store.products == {product.id: product}
    assert changes == ["x"]


async def test_an_empty_change_writes_nothing(
    admin: CatalogAdmin, store: FakeStore, changes: list[str]
) -> None:
    product = await a_product(admin)
    assert await admin.change(product.id, ProductChanges()) == product
    assert changes == ["x"], "only the creation"


async def test_writes_to_ids_that_cannot_exist_never_reach_the_store(admin: CatalogAdmin) -> None:
    for bad in ("", "a/b", "x" * 65):
        assert await admin.change(bad, ProductChanges(name="n")) is None
        assert await admin.delete(bad) is False
        assert await admin.set_stock(bad, 1, 0) is None
        assert await admin.request_upload(bad, None) is None


async def test_stock_is_compare_and_set(admin: CatalogAdmin) -> None:
    product = await a_product(admin, stock=5)
    assert await admin.set_stock(product.id, 9, 4) == StockConflict(5)
    updated = await admin.set_stock(product.id, 9, 5)
    assert isinstance(updated, Product) and updated.stock == 9


async def test_an_upload_is_one_fresh_key_under_the_product(admin: CatalogAdmin) -> None:
    product = await a_product(admin)
    first = await admin.request_upload(product.id, "image/png")
    second = await admin.request_upload(product.id, None)
    assert first is not None and second is not None
    assert first.key == f"uploads/{product.id}/{first.upload_id}"
    assert first.key != second.key


async def test_uploads_stop_at_the_image_limit_but_rejected_ones_do_not_count(
    admin: CatalogAdmin, store: FakeStore
) -> None:
    product = await a_product(admin)

    def image(n: int, status: ImageStatus) -> ProductImage:
        return ProductImage(f"{n:032x}", f"uploads/{product.id}/{n:032x}", status, NOW)

    rejected = tuple(image(100 + n, ImageStatus.REJECTED) for n in range(20))
    kept = tuple(image(n, ImageStatus.READY) for n in range(MAX_IMAGES_PER_PRODUCT - 1))
    store.products[product.id] = replace(product, images=rejected + kept)
    assert await admin.request_upload(product.id, None) is not None
    store.products[product.id] = replace(
        product, images=(*rejected, *kept, image(99, ImageStatus.PROCESSING))
    )
    with pytest.raises(TooManyImages):
        await admin.request_upload(product.id, None)


async def test_rejected_uploads_count_towards_a_limit_of_their_own_until_deleted(
    admin: CatalogAdmin, store: FakeStore
) -> None:
    product = await a_product(admin)
    rejected = tuple(
        ProductImage(f"{n:032x}", f"uploads/{product.id}/{n:032x}", ImageStatus.REJECTED, NOW)
        for n in range(MAX_UPLOADS_PER_PRODUCT)
    )
    store.products[product.id] = replace(product, images=rejected)
    with pytest.raises(TooManyImages, match="DELETE"):
        await admin.request_upload(product.id, None)
    assert await admin.remove_image(product.id, rejected[0].upload_id) is True
    assert await admin.remove_image(product.id, rejected[0].upload_id) is False
    assert await admin.remove_image(product.id, "not-an-upload-id") is False
    assert await admin.request_upload(product.id, None) is not None


def test_a_patch_becomes_changes_of_only_the_named_fields() -> None:
    patch = ProductPatch.model_validate({"name": " New ", "category": "Home-Office"})
    assert patch.changes() == ProductChanges(name="New", category="home-office")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_category_counts_are_cached_for_the_ttl_and_hide_empty_categories() -> None:
    loads: list[int] = []

    async def load() -> dict[str, int]:
        loads.append(1)
        return {"home": 2, "books": 1, "gone": 0}

    clock = Clock()
    counts = CategoryCounts(load, ttl=30, clock=clock)
    assert await counts.get() == [("books", 1), ("home", 2)]
    clock.now = 29.9
    await counts.get()
    assert len(loads) == 1
    clock.now = 30.0
    await counts.get()
    assert len(loads) == 2
    counts.invalidate()
    await counts.get()
    assert len(loads) == 3


async def test_concurrent_readers_share_one_load() -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    loads: list[int] = []

    async def load() -> dict[str, int]:
        loads.append(1)
        started.set()
        await release.wait()
        return {"home": 1}

    counts = CategoryCounts(load, ttl=30, clock=Clock())
    readers = [asyncio.create_task(counts.get()) for _ in range(5)]
    await started.wait()
    release.set()
    assert await asyncio.gather(*readers) == [[("home", 1)]] * 5
    assert len(loads) == 1


async def test_a_load_that_an_invalidation_overtook_is_not_cached() -> None:
    answers = iter([{"old": 1}, {"new": 1}])
    gate = asyncio.Event()

    async def load() -> dict[str, int]:
        answer = next(answers)
        if "old" in answer:
            await gate.wait()
        return answer

    counts = CategoryCounts(load, ttl=30, clock=Clock())
    reader = asyncio.create_task(counts.get())
    await asyncio.sleep(0)
    counts.invalidate()  # an admin write lands while the old answer is being loaded
    gate.set()
    assert await reader == [("old", 1)]
    assert await counts.get() == [("new", 1)]
