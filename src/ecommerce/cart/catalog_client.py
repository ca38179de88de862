"""Reads prices and stock from the catalog service over HTTP; the cart never reads its store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import aiohttp
from pydantic import BaseModel

from ecommerce.cart.domain import ProductSnapshot, is_product_id
from ecommerce.events import Money

TIMEOUT = aiohttp.ClientTimeout(total=5, connect=2)
MAX_CONCURRENT_LOOKUPS = 10


class CatalogUnavailable(Exception):
    pass


class _Product(BaseModel):
    """The part of `GET /products/{id}` the cart reads."""

    id: str
    price: Money
    stock: int


class CatalogClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._lookups = asyncio.Semaphore(MAX_CONCURRENT_LOOKUPS)

    async def products(self, product_ids: Iterable[str]) -> dict[str, ProductSnapshot | None]:
        """Each product as the catalog has it now; None for one it does not have."""
        ids = list(dict.fromkeys(product_ids))
        found = await asyncio.gather(*(self.product(product_id) for product_id in ids))
        return dict(zip(ids, found, strict=True))

    async def product(self, product_id: str) -> ProductSnapshot | None:
        if not is_product_id(product_id):
            return None
        url = f"{self._base_url}/products/{product_id}"
        try:
            async with self._lookups, self._session.get(url, timeout=TIMEOUT) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise CatalogUnavailable(f"catalog answered {response.status}")
                product = _Product.model_validate(await response.json())
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # ValueError: a body that is not JSON, or not a product (ValidationError).
            raise CatalogUnavailable(str(error) or type(error).__name__) from error
        return ProductSnapshot(product.id, product.price, product.stock)
