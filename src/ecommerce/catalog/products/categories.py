"""`GET /categories`: the categories products have, with how many each, derived from products.

There is no list of categories to keep in step: a category exists while a product has it.
Counting reads the whole `by-category` index (its keys only), so the answer is cached for
`TTL_SECONDS` per catalog process, and dropped there at once when an admin changes a product
through it (other processes catch up within the TTL). That is cheap for catalogs up to some
hundred thousand products; past that, keep counters updated with the product writes instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

TTL_SECONDS = 30.0

Counts = dict[str, int]


class CategoryCounts:
    def __init__(
        self,
        load: Callable[[], Awaitable[Counts]],
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._cached: tuple[float, Counts] | None = None
        self._lock = asyncio.Lock()
        self._generation = 0

    async def get(self) -> list[tuple[str, int]]:
        """(category, count) for every category with a product, by name."""
        counts = await self._counts()
        return sorted((name, count) for name, count in counts.items() if count > 0)

    def invalidate(self) -> None:
        self._generation += 1
        self._cached = None

    async def _counts(self) -> Counts:
        if (cached := self._fresh()) is not None:
            return cached
        async with self._lock:  # one load at a time; the others wait for its answer
            if (cached := self._fresh()) is not None:
                return cached
            generation = self._generation
            counts = await self._load()
            if generation == self._generation:  # not invalidated while loading
                self._cached = (self._clock(), counts)
            return counts

    def _fresh(self) -> Counts | None:
        if self._cached is None or self._clock() - self._cached[0] >= self._ttl:
            return None
        return self._cached[1]
