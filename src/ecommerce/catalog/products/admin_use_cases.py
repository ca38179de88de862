"""Use cases of the admin routes: create, change, delete, set stock, ask for an image upload.

Authorization is the API's job; these assume an admin. Every product write calls `changed`
(the categories cache listens), and every create, change and delete is told to `events`
(`ProductChanged`, which the orders service keeps its prices from).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ecommerce.catalog.images.image_bucket import PresignedUpload
from ecommerce.catalog.images.product_image import (
    MAX_IMAGES_PER_PRODUCT,
    MAX_UPLOADS_PER_PRODUCT,
    ImageStatus,
    is_upload_id,
    new_upload_id,
    upload_key,
)
from ecommerce.catalog.products.product import (
    Money,
    Product,
    ProductChanges,
    is_product_id,
    new_product_id,
)
from ecommerce.catalog.products.product_store import StockConflict

CREATE_ATTEMPTS = 3


class AdminRepository(Protocol):
    async def get(self, product_id: str) -> Product | None: ...

    async def add_if_absent(self, product: Product) -> bool: ...

    async def update(
        self, product_id: str, changes: ProductChanges, now: str
    ) -> Product | None: ...

    async def delete(self, product_id: str, now: str) -> bool: ...

    async def remove_image(self, product_id: str, upload_id: str, now: str) -> bool: ...

    async def set_stock(
        self, product_id: str, stock: int, expected: int, now: str
    ) -> Product | StockConflict | None: ...


class ProductEventSink(Protocol):
    async def changed(self, product: Product) -> None: ...

    async def deleted(self, product_id: str, at: str) -> None: ...


class _NoEvents:
    async def changed(self, product: Product) -> None:
        return None

    async def deleted(self, product_id: str, at: str) -> None:
        return None


class UploadSigner(Protocol):
    async def presigned_upload(self, key: str, content_type: str | None) -> PresignedUpload: ...


class TooManyImages(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    upload_id: str
    key: str
    form: PresignedUpload


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CatalogAdmin:
    def __init__(
        self,
        store: AdminRepository,
        signer: UploadSigner,
        *,
        changed: Callable[[], None] = lambda: None,
        clock: Callable[[], str] = utc_now,
        events: ProductEventSink | None = None,
    ) -> None:
        self._store = store
        self._signer = signer
        self._changed = changed
        self._clock = clock
        self._events = events or _NoEvents()

    async def product(self, product_id: str) -> Product | None:
        return await self._store.get(product_id) if is_product_id(product_id) else None

    async def create(
        self, *, name: str, description: str, category: str, price: Money, stock: int
    ) -> Product:
        now = self._clock()
        for _ in range(CREATE_ATTEMPTS):
            product = Product(
                id=new_product_id(),
                name=name,
                description=description,
                category=category,
                price=price,
                stock=stock,
                created_at=now,
                updated_at=now,
            )
            if await self._store.add_if_absent(product):
                self._changed()
                await self._events.changed(product)
                return product
        raise RuntimeError("could not find a free product id")  # 128 random bits: never

    async def change(self, product_id: str, changes: ProductChanges) -> Product | None:
        if not is_product_id(product_id):
            return None
        if changes.is_empty():
            return await self._store.get(product_id)
        product = await self._store.update(product_id, changes, self._clock())
        if product is not None:
            self._changed()
            await self._events.changed(product)
        return product

    async def delete(self, product_id: str) -> bool:
        now = self._clock()
        deleted = is_product_id(product_id) and await self._store.delete(product_id, now)
        if deleted:
            self._changed()
            await self._events.deleted(product_id, now)
        return deleted

    async def set_stock(
        self, product_id: str, stock: int, expected: int
    ) -> Product | StockConflict | None:
        if not is_product_id(product_id):
            return None
        return await self._store.set_stock(product_id, stock, expected, self._clock())

    async def remove_image(self, product_id: str, upload_id: str) -> bool:
        """Forget an upload (its objects stay in the bucket); False if there is no such one."""
        if not (is_product_id(product_id) and is_upload_id(upload_id)):
            return False
        return await self._store.remove_image(product_id, upload_id, self._clock())

    async def request_upload(self, product_id: str, content_type: str | None) -> Upload | None:
        """A presigned form for one new image of the product; None if there is no product."""
        product = await self.product(product_id)
        if product is None:
            return None
        kept = [i for i in product.images if i.status is not ImageStatus.REJECTED]
        if len(kept) >= MAX_IMAGES_PER_PRODUCT or len(product.images) >= MAX_UPLOADS_PER_PRODUCT:
            raise TooManyImages(
                f"a product has at most {MAX_IMAGES_PER_PRODUCT} images and "
                f"{MAX_UPLOADS_PER_PRODUCT} uploads, rejected ones included: delete some with "
                "DELETE /products/{product_id}/images/{upload_id}"
            )
        upload_id = new_upload_id()
        key = upload_key(product_id, upload_id)
        return Upload(upload_id, key, await self._signer.presigned_upload(key, content_type))
