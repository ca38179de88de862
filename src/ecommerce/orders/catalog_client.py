"""Reads prices from the catalog service over HTTP; orders never reads the catalog's store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import aiohttp

from ecommerce.events import Money

TIMEOUT = aiohttp.ClientTimeout(total=5, connect=2)


class CatalogUnavailable(Exception):
    pass


class CatalogClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")

    async def prices(self, product_ids: Iterable[str]) -> dict[str, Money | None]:
        ids = list(dict.fromkeys(product_ids))
        found = await asyncio.gather(*(self._price(product_id) for product_id in ids))
        return dict(zip(ids, found, strict=True))

    async def _price(self, product_id: str) -> Money | None:
        url = f"{self._base_url}/products/{product_id}"
        try:
            async with self._session.get(url, timeout=TIMEOUT) as response:
                if response.status == 404:
                    return None
                if response.status != 200:
                    raise CatalogUnavailable(f"catalog answered {response.status}")
                product = await response.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise CatalogUnavailable(str(error) or type(error).__name__) from error
        return Money.model_validate(product["price"])
