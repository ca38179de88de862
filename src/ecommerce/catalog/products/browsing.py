"""Use cases of the catalog's HTTP side: read one product, page through products."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ecommerce.catalog.products.product import Product, is_product_id, normalise_category
from ecommerce.platform.cursor import decode_cursor, encode_cursor

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ProductPage:
    items: list[Product]
    next_cursor: str | None


class ProductRepository(Protocol):
    """What the use cases need of a store; `ProductStore` is the DynamoDB one."""

    async def get(self, product_id: str) -> Product | None: ...

    async def page(
        self, limit: int, after: str | None, category: str | None
    ) -> tuple[list[Product], str | None]: ...


class CatalogService:
    def __init__(self, store: ProductRepository) -> None:
        self._store = store

    async def product(self, product_id: str) -> Product | None:
        if not is_product_id(product_id):
            return None
        return await self._store.get(product_id)

    async def products(
        self, *, limit: int = DEFAULT_PAGE_SIZE, cursor: str | None, category: str | None
    ) -> ProductPage:
        """A page of products; `InvalidCursor` or `InvalidCategory` on bad input."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be from 1 to {MAX_PAGE_SIZE}")
        after = decode_cursor(cursor, table_key) if cursor is not None else None
        wanted = normalise_category(category) if category is not None else None
        items, last_key = await self._store.page(limit, after, wanted)
        return ProductPage(items, encode_cursor(last_key) if last_key is not None else None)


def table_key(position: object) -> str:
    """The position of a products cursor: the table key a page continues after."""
    if not isinstance(position, str) or not position:
        raise ValueError("a products cursor holds a table key")
    return position
