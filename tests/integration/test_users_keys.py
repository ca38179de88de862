"""Key rotation against Secrets Manager (the AWS emulator): nobody is logged out, and every
verifier learns the new key with no restart."""

import asyncio
import contextlib
import dataclasses
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.http.auth import keep_keys_current, load_verifier
from ecommerce.platform.http.problems import ProblemError
from ecommerce.resources import secret_id
from ecommerce.users import api
from ecommerce.users.domain import User
from ecommerce.users.keys import UserKeys, rotate
from ecommerce.users.tokens import TokenIssuer, load_jwks

pytestmark = pytest.mark.integration

ADA = User(
    id="u-rotation",
    email="ada@example.com",
    name="Ada",
    role="customer",
    password_hash="-",
    created_at="2030-01-01T00:00:00+00:00",
)
SECRETS = ("jwt-signing-keys", "jwt-public-keys")


@pytest.fixture
async def clients(provisioned: Any) -> AsyncIterator[AwsClients]:
    """AWS clients; the key secrets are put back as they were after the test."""
    clients = AwsClients(os.environ["AWS_REGION"])
    manager = await clients.client("secretsmanager")
    saved = {
        name: (await manager.get_secret_value(SecretId=secret_id(name)))["SecretString"]
        for name in SECRETS
    }
    yield clients
    for name, value in saved.items():
        await manager.put_secret_value(SecretId=secret_id(name), SecretString=value)
    await clients.close()


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def published_kids(clients: AwsClients) -> list[str]:
    return [key["kid"] for key in (await load_jwks(clients))["keys"]]


async def test_a_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    clients: AwsClients,
) -> None:
    keys = await UserKeys.load(clients)
    issuer = TokenIssuer(keys.signing, 900)
    old_kid = keys.signing.kid
    before = issuer.issue(ADA, datetime.now(UTC)).token

    new_kid = await rotate(clients, activation_delay=0)

    assert new_kid != old_kid
    assert (await published_kids(clients))[-2:] == [old_kid, new_kid]
    await keys.reload()
    issuer.use(keys.signing)
    after = issuer.issue(ADA, datetime.now(UTC)).token
    assert (kid_of(before), kid_of(after)) == (old_kid, new_kid)
    verifier = await load_verifier(clients)
    assert verifier.verify(before).user_id == verifier.verify(after).user_id == ADA.id


async def test_a_new_key_signs_only_once_its_activation_delay_has_passed(
    clients: AwsClients,
) -> None:
    old_kid = (await UserKeys.load(clients)).signing.kid
    now = datetime.now(UTC)

    new_kid = await rotate(clients, activation_delay=120, now=now)

    assert new_kid in await published_kids(clients)  # published at once...
    soon = await UserKeys.load(clients, clock=lambda: now + timedelta(seconds=119))
    later = await UserKeys.load(clients, clock=lambda: now + timedelta(seconds=121))
    assert (soon.signing.kid, later.signing.kid) == (old_kid, new_kid)  # ...signing later


async def test_rotations_keep_the_newest_keys_only(clients: AwsClients) -> None:
    kids = [await rotate(clients, activation_delay=0, keep=3) for _ in range(4)]

    assert await published_kids(clients) == kids[-3:]
    manager = await clients.client("secretsmanager")
    signing = json.loads(
        (await manager.get_secret_value(SecretId=secret_id("jwt-signing-keys")))["SecretString"]
    )
    assert [entry["kid"] for entry in signing["keys"]] == kids[-3:]
    assert signing["current"] == kids[-1]


async def test_a_verifier_reloads_soon_after_a_token_names_an_unknown_kid(
    clients: AwsClients,
) -> None:
    verifier = await load_verifier(clients)
    refresher = asyncio.create_task(keep_keys_current(verifier, clients, every=3600, min_gap=0))
    try:
        await rotate(clients, activation_delay=0)
        token = TokenIssuer((await UserKeys.load(clients)).signing, 900).issue(
            ADA, datetime.now(UTC)
        )

        with pytest.raises(ProblemError) as caught:
            verifier.verify(token.token)
        assert caught.value.status == 401
        for _ in range(100):
            await asyncio.sleep(0.05)
            try:
                assert verifier.verify(token.token).user_id == ADA.id
                break
            except ProblemError:
                continue
        else:
            raise AssertionError("the verifier never learned the new key")
    finally:
        await stop(refresher)


async def test_a_verifier_reloads_periodically_and_unknown_kids_cannot_force_more(
    clients: AwsClients,
) -> None:
    verifier = await load_verifier(clients)
    refresher = asyncio.create_task(keep_keys_current(verifier, clients, every=0.3, min_gap=0.3))
    try:
        await rotate(clients, activation_delay=0)
        token = TokenIssuer((await UserKeys.load(clients)).signing, 900).issue(
            ADA, datetime.now(UTC)
        )
        await asyncio.sleep(0.8)
        assert verifier.verify(token.token).user_id == ADA.id  # known without being asked

        forged = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256", headers={"kid": "made-up"})
        manager: Any = await clients.client("secretsmanager")
        calls = 0
        original = manager.get_secret_value

        async def counting(**kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await original(**kwargs)

        manager.get_secret_value = counting
        try:
            for _ in range(50):
                with pytest.raises(ProblemError):
                    verifier.verify(forged)
                await asyncio.sleep(0.01)
        finally:
            manager.get_secret_value = original
        assert 1 <= calls <= 4  # made-up kids for half a second: at most one reload per 0.3 s
    finally:
        await stop(refresher)


async def test_the_running_service_rotates_without_logging_anyone_out(
    clients: AwsClients, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "KEYS_RELOAD_SECONDS", 0.2)
    settings = dataclasses.replace(Settings.from_env("users"), redis_url=redis_url)
    async with TestClient(TestServer(api.build_app(settings))) as client:
        credentials = {
            "email": f"ada-{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct horse",
        }
        await client.post("/auth/register", json={**credentials, "name": "Ada"})

        async def token() -> str:
            response = await client.post("/auth/login", json=credentials)
            assert response.status == 200
            return str((await response.json())["access_token"])

        async def me(access_token: str) -> int:
            response = await client.get(
                "/users/me", headers={"Authorization": f"Bearer {access_token}"}
            )
            return response.status

        before = await token()
        new_kid = await rotate(clients, activation_delay=0)
        for _ in range(50):
            after = await token()
            if kid_of(after) == new_kid:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the service never signed with the new key")

        jwks = await (await client.get("/.well-known/jwks.json")).json()
        assert {kid_of(before), new_kid} <= {key["kid"] for key in jwks["keys"]}
        assert await me(before) == 200
        statuses = [await me(after)]
        while statuses[-1] != 200 and len(statuses) < 100:
            await asyncio.sleep(0.1)
            statuses.append(await me(after))
        assert statuses[-1] == 200, statuses
