"""The Redis cart store against a real Redis: versions, the line limit, TTL, compare-and-delete."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from ecommerce.cart.domain import MAX_LINES
from ecommerce.cart.store import CartFull, CartStore, CartStoreUnavailable

pytestmark = pytest.mark.integration

TTL = 3600


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test-cart-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def store(redis: aioredis.Redis, prefix: str) -> AsyncIterator[CartStore]:
    yield CartStore(redis, ttl_seconds=TTL, prefix=prefix)
    async for key in redis.scan_iter(match=f"{prefix}*"):
        await redis.delete(key)


async def test_a_new_cart_is_empty_at_version_zero(store: CartStore) -> None:
    cart = await store.load("ada")
    assert (cart.lines, cart.version, cart.checked_out_as) == ((), 0, None)


async def test_each_write_raises_the_version_by_one_and_lines_read_back(store: CartStore) -> None:
    assert await store.set_quantity("ada", "p-2", 3) == 1
    assert await store.set_quantity("ada", "p-1", 1) == 2
    assert await store.set_quantity("ada", "p-2", 5) == 3
    cart = await store.load("ada")
    assert [(line.product_id, line.quantity) for line in cart.lines] == [("p-1", 1), ("p-2", 5)]
    assert cart.version == 3


async def test_the_version_never_falls_below_the_floor(store: CartStore) -> None:
    assert await store.set_quantity("ada", "p-1", 1, version_floor=1_700_000_000_000) == (
        1_700_000_000_000
    )
    assert await store.set_quantity("ada", "p-1", 2, version_floor=1_700_000_000_000) == (
        1_700_000_000_001
    )
    assert await store.set_quantity("ada", "p-1", 3, version_floor=5) == 1_700_000_000_002
    assert (await store.load("ada")).version == 1_700_000_000_002


async def test_the_cart_is_one_hash_with_a_ttl_refreshed_by_every_write(
    store: CartStore, redis: aioredis.Redis, prefix: str
) -> None:
    await store.set_quantity("ada", "p-1", 2)
    key = f"{prefix}ada"
    assert store.key("ada") == key
    assert await redis.type(key) == "hash"
    assert await redis.hget(key, "p-1") == "2"
    await redis.expire(key, 10)
    await store.set_quantity("ada", "p-2", 1)
    assert TTL - 5 < await redis.ttl(key) <= TTL
    await redis.expire(key, 10)
    await store.remove("ada", "p-2")
    assert TTL - 5 < await redis.ttl(key) <= TTL


async def test_removing_is_idempotent_and_only_a_real_removal_is_a_write(
    store: CartStore,
) -> None:
    await store.set_quantity("ada", "p-1", 2)
    assert await store.remove("ada", "p-1") == 2
    assert await store.remove("ada", "p-1") is None
    assert await store.remove("ada", "never-there") is None
    cart = await store.load("ada")
    assert (cart.lines, cart.version) == ((), 2)


@pytest.mark.parametrize("field", ["_version", "_order", "", "a b"])
async def test_reserved_fields_and_non_ids_are_never_lines(store: CartStore, field: str) -> None:
    version = await store.set_quantity("ada", "p-1", 1)
    assert await store.empty_into_order("ada", version, "order-1")
    with pytest.raises(ValueError):
        await store.set_quantity("ada", field, 1)
    assert await store.remove("ada", field) is None
    cart = await store.load("ada")
    assert (cart.version, cart.checked_out_as) == (version + 1, "order-1")


async def test_the_line_limit_holds_and_existing_lines_still_change(store: CartStore) -> None:
    for n in range(MAX_LINES):
        await store.set_quantity("ada", f"p-{n:03}", 1)
    with pytest.raises(CartFull):
        await store.set_quantity("ada", "p-one-too-many", 1)
    assert await store.set_quantity("ada", "p-000", 7) == MAX_LINES + 1
    cart = await store.load("ada")
    assert len(cart.lines) == MAX_LINES
    assert cart.version == MAX_LINES + 1


async def test_concurrent_writes_never_pass_the_limit_and_each_gets_its_own_version(
    store: CartStore,
) -> None:
    for n in range(MAX_LINES - 5):
        await store.set_quantity("ada", f"p-{n:03}", 1)
    start = (await store.load("ada")).version

    async def add(product_id: str) -> int | None:
        try:
            return await store.set_quantity("ada", product_id, 2)
        except CartFull:
            return None

    results = await asyncio.gather(*(add(f"new-{n:02}") for n in range(40)))

    versions = [v for v in results if v is not None]
    assert len(versions) == 5
    assert sorted(versions) == list(range(start + 1, start + 6))
    cart = await store.load("ada")
    assert len(cart.lines) == MAX_LINES
    assert cart.version == start + 5


async def test_concurrent_updates_of_one_line_bump_the_version_once_each(
    store: CartStore,
) -> None:
    results = await asyncio.gather(
        *(store.set_quantity("ada", "p-1", q) for q in range(1, 61)),
        *(store.set_quantity("ada", f"other-{n}", 1) for n in range(20)),
    )
    assert sorted(results) == list(range(1, 81))
    cart = await store.load("ada")
    assert cart.version == 80
    assert len(cart.lines) == 21


async def test_emptying_into_an_order_needs_the_version_unchanged(store: CartStore) -> None:
    await store.set_quantity("ada", "p-1", 1)
    version = await store.set_quantity("ada", "p-2", 1)
    await store.set_quantity("ada", "p-3", 1)  # a write racing the checkout

    assert await store.empty_into_order("ada", version, "order-1") is False
    cart = await store.load("ada")
    assert [line.product_id for line in cart.lines] == ["p-1", "p-2", "p-3"]

    assert await store.empty_into_order("ada", cart.version, "order-1") is True
    emptied = await store.load("ada")
    assert (emptied.lines, emptied.checked_out_as) == ((), "order-1")
    assert emptied.version == cart.version + 1
    assert await store.empty_into_order("ada", cart.version, "order-1") is False


async def test_the_checked_out_order_is_forgotten_at_the_next_write(store: CartStore) -> None:
    version = await store.set_quantity("ada", "p-1", 1)
    assert await store.empty_into_order("ada", version, "order-1")
    after = await store.set_quantity("ada", "p-2", 1)
    cart = await store.load("ada")
    assert (cart.checked_out_as, cart.version) == (None, after)
    assert after > version + 1


async def test_a_write_racing_the_empty_is_either_before_it_or_kept(store: CartStore) -> None:
    version = await store.set_quantity("ada", "p-1", 1)
    emptied, added = await asyncio.gather(
        store.empty_into_order("ada", version, "order-1"), store.set_quantity("ada", "p-2", 1)
    )
    cart = await store.load("ada")
    if emptied:  # the empty ran first: the later write is in the cart
        assert [line.product_id for line in cart.lines] == ["p-2"]
    else:  # the write ran first: nothing was removed
        assert [line.product_id for line in cart.lines] == ["p-1", "p-2"]
    assert cart.version == added


async def test_carts_of_different_customers_are_apart(store: CartStore) -> None:
    await store.set_quantity("ada", "p-1", 1)
    await store.set_quantity("grace", "p-2", 4)
    assert [line.product_id for line in (await store.load("ada")).lines] == ["p-1"]
    assert [line.product_id for line in (await store.load("grace")).lines] == ["p-2"]
    assert (await store.load("grace")).version == 1


async def test_an_unreachable_redis_is_a_store_error() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        store = CartStore(client, ttl_seconds=TTL, prefix="nowhere:")
        with pytest.raises(CartStoreUnavailable):
            await store.load("ada")
        with pytest.raises(CartStoreUnavailable):
            await store.set_quantity("ada", "p-1", 1)
    finally:
        await client.aclose()
