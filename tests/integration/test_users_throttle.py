"""Login throttling against real Redis: the throttle itself, then through the users API."""

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from ecommerce.platform.config import Settings
from ecommerce.users.api import build_app
from ecommerce.users.throttle import (
    ACCOUNT_RULE,
    CLIENT_RULE,
    LoginThrottle,
    LoginThrottled,
    ThrottleRule,
)

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
PASSWORD = "correct horse"
SMALL_ACCOUNT = ThrottleRule(
    "account", max_failures=3, window_seconds=60, base_lockout_seconds=1, max_lockout_seconds=3
)
SMALL_CLIENT = ThrottleRule(
    "client", max_failures=6, window_seconds=60, base_lockout_seconds=1, max_lockout_seconds=3
)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def throttle(redis: Redis) -> LoginThrottle:
    return LoginThrottle(redis, account=SMALL_ACCOUNT, client=SMALL_CLIENT)


def an_email() -> str:
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"


def an_ip() -> str:
    raw = uuid.uuid4().bytes
    return f"10.{raw[0]}.{raw[1]}.{raw[2]}"


async def test_the_attempt_past_the_limit_is_refused_with_a_wait(throttle: LoginThrottle) -> None:
    email = an_email()
    for _ in range(SMALL_ACCOUNT.max_failures):
        await throttle.attempt(email, an_ip())

    with pytest.raises(LoginThrottled) as caught:
        await throttle.attempt(email, an_ip())

    assert (caught.value.scope, caught.value.retry_after) == ("account", 1)


async def test_lockouts_double_up_to_the_cap_and_end(throttle: LoginThrottle) -> None:
    email = an_email()
    waits = []
    for _ in range(3):
        for _ in range(SMALL_ACCOUNT.max_failures):
            await throttle.attempt(email, an_ip())
        with pytest.raises(LoginThrottled) as caught:
            await throttle.attempt(email, an_ip())
        waits.append(caught.value.retry_after)
        with pytest.raises(LoginThrottled):  # still locked, and retrying does not extend it
            await throttle.attempt(email, an_ip())
        await asyncio.sleep(caught.value.retry_after + 0.05)
    assert waits == [1, 2, 3]
    await throttle.attempt(email, an_ip())  # the lockout is over


async def test_a_success_resets_the_account_and_gives_the_client_its_attempt_back(
    throttle: LoginThrottle,
) -> None:
    email, ip = an_email(), an_ip()
    for _ in range(SMALL_ACCOUNT.max_failures - 1):
        await throttle.attempt(email, ip)
    await throttle.attempt(email, ip)
    await throttle.succeeded(email, ip)

    for _ in range(SMALL_ACCOUNT.max_failures):  # the account starts afresh
        await throttle.attempt(email, ip)
    await throttle.attempt(an_email(), ip)  # the client's sixth failure: the last allowed
    with pytest.raises(LoginThrottled) as caught:
        await throttle.attempt(an_email(), ip)
    assert caught.value.scope == "client"


async def test_one_client_is_stopped_whatever_accounts_it_tries(throttle: LoginThrottle) -> None:
    ip = an_ip()
    for _ in range(SMALL_CLIENT.max_failures):
        await throttle.attempt(an_email(), ip)

    with pytest.raises(LoginThrottled) as caught:
        await throttle.attempt(an_email(), ip)

    assert caught.value.scope == "client"
    await throttle.attempt(an_email(), an_ip())  # another client is not


async def test_concurrent_attempts_cannot_overrun_the_limit(throttle: LoginThrottle) -> None:
    email = an_email()
    results = await asyncio.gather(
        *(throttle.attempt(email, an_ip()) for _ in range(20)), return_exceptions=True
    )
    assert sum(result is None for result in results) == SMALL_ACCOUNT.max_failures
    assert all(isinstance(r, LoginThrottled) for r in results if r is not None)


async def test_redis_holds_no_email_address(throttle: LoginThrottle, redis: Redis) -> None:
    email = an_email()
    await throttle.attempt(email, "10.9.9.9")
    keys = [key.decode() async for key in redis.scan_iter(match="*users:login*")]
    assert keys
    assert not any(email in key or "10.9.9.9" in key for key in keys)


# Through the API, with the production rules.


@pytest.fixture(scope="module")
async def client(provisioned: Any, redis_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = dataclasses.replace(Settings.from_env("users"), redis_url=redis_url)
    async with TestClient(TestServer(build_app(settings))) as client:
        yield client


async def registered(client: TestClient[Any, Any]) -> str:
    email = an_email()
    response = await client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "name": "Ada"}
    )
    assert response.status == 201, await response.text()
    return email


async def log_in(
    client: TestClient[Any, Any], email: str, password: str, ip: str
) -> tuple[int, dict[str, str], Any]:
    response = await client.post(
        "/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": ip},
    )
    return response.status, dict(response.headers), await response.json()


async def test_an_account_is_locked_after_five_failures_even_for_the_right_password(
    client: TestClient[Any, Any],
) -> None:
    email = await registered(client)
    for _ in range(ACCOUNT_RULE.max_failures):
        status, _, _ = await log_in(client, email, "wrong password", an_ip())
        assert status == 401

    status, headers, problem = await log_in(client, email, PASSWORD, an_ip())

    assert status == 429
    assert headers["Content-Type"].startswith(PROBLEM)
    assert headers["Retry-After"] == str(ACCOUNT_RULE.base_lockout_seconds)
    assert problem["title"] == "Too many failed logins"
    assert problem["retry_after"] == ACCOUNT_RULE.base_lockout_seconds
    assert "account" in problem["detail"]


async def test_a_client_is_locked_after_twenty_failures_across_accounts(
    client: TestClient[Any, Any],
) -> None:
    ip = an_ip()
    email = await registered(client)
    for _ in range(CLIENT_RULE.max_failures):
        status, _, _ = await log_in(client, an_email(), PASSWORD, f"198.51.100.9, {ip}")
        assert status == 401

    status, headers, problem = await log_in(client, email, PASSWORD, ip)
    assert status == 429
    assert int(headers["Retry-After"]) == CLIENT_RULE.base_lockout_seconds
    assert "client" in problem["detail"]

    # A forged first X-Forwarded-For entry does not make another client...
    status, _, _ = await log_in(client, email, PASSWORD, f"192.0.2.77, {ip}")
    assert status == 429
    # ...but another address (as the edge appends it) is one.
    status, _, _ = await log_in(client, email, PASSWORD, an_ip())
    assert status == 200


async def test_a_successful_login_resets_the_account_counter(client: TestClient[Any, Any]) -> None:
    email, ip = await registered(client), an_ip()
    for _ in range(2):
        for _ in range(ACCOUNT_RULE.max_failures - 1):
            status, _, _ = await log_in(client, email, "wrong password", ip)
            assert status == 401
        status, _, _ = await log_in(client, email, PASSWORD, ip)
        assert status == 200
