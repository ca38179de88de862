"""The cart store: one Redis hash per customer, changed only by Lua scripts.

`<prefix><user_id>` holds `product_id -> quantity` and two reserved fields that no product id
can take (ids start with a letter or digit): `_version`, raised by every write, and `_order`,
the order the cart was emptied into by a checkout, kept until the next write. Each script
checks the line limit, writes, raises the version and refreshes the TTL in one step, so
concurrent writers can neither pass the limit nor share a version.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ecommerce.cart.domain import MAX_LINES, Cart, cart_of, is_product_id
from ecommerce.platform.tracing import subsegment

VERSION_FIELD = "_version"
ORDER_FIELD = "_order"

_BUMP = f"""
local function bump(cart, floor, ttl_ms)
  local current = tonumber(redis.call('HGET', cart, '{VERSION_FIELD}') or '0')
  local step = math.max(1, tonumber(floor) - current)
  local version = redis.call('HINCRBY', cart, '{VERSION_FIELD}', string.format('%d', step))
  redis.call('PEXPIRE', cart, ttl_ms)
  return version
end
"""

# KEYS[1] cart; ARGV: product_id, quantity, max_lines, ttl_ms, version floor.
# Returns the new version, or -1 if the product is new to a cart already at its line limit.
SET_QUANTITY = (
    _BUMP
    + f"""
local cart = KEYS[1]
if redis.call('HEXISTS', cart, ARGV[1]) == 0 then
  local lines = redis.call('HLEN', cart)
    - redis.call('HEXISTS', cart, '{VERSION_FIELD}') - redis.call('HEXISTS', cart, '{ORDER_FIELD}')
  if lines >= tonumber(ARGV[3]) then
    return -1
  end
end
redis.call('HSET', cart, ARGV[1], ARGV[2])
redis.call('HDEL', cart, '{ORDER_FIELD}')
return bump(cart, ARGV[5], ARGV[4])
"""
)

# KEYS[1] cart; ARGV: product_id, ttl_ms, version floor. Returns the new version, 0 if absent.
REMOVE = (
    _BUMP
    + f"""
local cart = KEYS[1]
if redis.call('HDEL', cart, ARGV[1]) == 0 then
  return 0
end
redis.call('HDEL', cart, '{ORDER_FIELD}')
return bump(cart, ARGV[3], ARGV[2])
"""
)

# KEYS[1] cart; ARGV: expected version, order id, ttl_ms, version floor.
# Empties the cart only if it is still at the expected version; returns the new version or 0.
EMPTY_INTO_ORDER = (
    _BUMP
    + f"""
local cart = KEYS[1]
if redis.call('HGET', cart, '{VERSION_FIELD}') ~= ARGV[1] then
  return 0
end
redis.call('DEL', cart)
redis.call('HSET', cart, '{VERSION_FIELD}', ARGV[1], '{ORDER_FIELD}', ARGV[2])
return bump(cart, ARGV[4], ARGV[3])
"""
)


class CartStoreUnavailable(Exception):
    """Redis did not answer (or failed): nothing is known to have been written."""


class CartFull(Exception):
    """The cart already has the most lines it may have and the product is not one of them."""


class CartStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        ttl_seconds: int,
        prefix: str = "cart:",
        max_lines: int = MAX_LINES,
    ) -> None:
        self._redis = redis
        self._ttl_ms = ttl_seconds * 1000
        self._prefix = prefix
        self._max_lines = max_lines
        self._set_quantity = redis.register_script(SET_QUANTITY)
        self._remove = redis.register_script(REMOVE)
        self._empty_into_order = redis.register_script(EMPTY_INTO_ORDER)

    def key(self, user_id: str) -> str:
        return f"{self._prefix}{user_id}"

    async def ping(self) -> None:
        await self._redis.ping()

    @asynccontextmanager
    async def _call(self) -> AsyncIterator[None]:
        async with subsegment("redis", "remote"):
            try:
                yield
            except RedisError as error:
                raise CartStoreUnavailable(str(error) or type(error).__name__) from error

    async def load(self, user_id: str) -> Cart:
        async with self._call():
            raw: dict[Any, Any] = await self._redis.hgetall(self.key(user_id))
        fields = {_text(name): _text(value) for name, value in raw.items()}
        version = _int_or_none(fields.pop(VERSION_FIELD, "0")) or 0
        order_id = fields.pop(ORDER_FIELD, None)
        quantities = {
            product_id: quantity
            for product_id, value in fields.items()
            if (quantity := _int_or_none(value)) is not None and quantity > 0
        }
        return cart_of(quantities, version, order_id)

    async def set_quantity(
        self, user_id: str, product_id: str, quantity: int, *, version_floor: int = 0
    ) -> int:
        """Set one line's quantity; the cart's new version. `CartFull` past the line limit."""
        if not is_product_id(product_id):
            raise ValueError(f"not a product id: {product_id!r}")
        args: list[str | int] = [product_id, quantity, self._max_lines, self._ttl_ms, version_floor]
        async with self._call():
            version = int(await self._set_quantity(keys=[self.key(user_id)], args=args))
        if version < 0:
            raise CartFull(product_id)
        return version

    async def remove(self, user_id: str, product_id: str, *, version_floor: int = 0) -> int | None:
        """Remove one line; the cart's new version, or None if there was no such line."""
        if not is_product_id(product_id):
            return None  # never a line, and never one of the reserved fields
        args: list[str | int] = [product_id, self._ttl_ms, version_floor]
        async with self._call():
            version = int(await self._remove(keys=[self.key(user_id)], args=args))
        return version or None

    async def empty_into_order(
        self, user_id: str, version: int, order_id: str, *, version_floor: int = 0
    ) -> bool:
        """Empty the cart if it is still at `version` (compare and delete); False if it moved."""
        args: list[str | int] = [version, order_id, self._ttl_ms, version_floor]
        async with self._call():
            changed = int(await self._empty_into_order(keys=[self.key(user_id)], args=args))
        return changed > 0


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
