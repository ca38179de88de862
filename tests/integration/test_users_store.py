"""The users table adapter and the admin seed against DynamoDB (the AWS emulator)."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical
from ecommerce.users.domain import EmailTaken, User
from ecommerce.users.seed import ensure_admin
from ecommerce.users.store import UserStore

pytestmark = pytest.mark.integration


@pytest.fixture
async def clients(provisioned: Any) -> AsyncIterator[AwsClients]:
    clients = AwsClients(os.environ["AWS_REGION"])
    yield clients
    await clients.close()


@pytest.fixture
async def store(clients: AwsClients) -> UserStore:
    return UserStore(await clients.client("dynamodb"), physical("users"))


def a_user(email: str | None = None) -> User:
    return User(
        id=uuid.uuid4().hex,
        email=email or f"{uuid.uuid4().hex[:12]}@example.com",
        name="Ada",
        role="customer",
        password_hash="$argon2id$v=19$m=65536,t=3,p=4$fake",
        created_at="2030-01-01T00:00:00+00:00",
    )


async def test_a_user_is_stored_under_its_id_with_a_pointer_from_its_email(
    store: UserStore, clients: AwsClients
) -> None:
    user = a_user()
    await store.add(user)

    assert await store.get(user.id) == user
    assert await store.find_by_email(user.email) == user
    dynamodb = await clients.client("dynamodb")
    pointer = await dynamodb.get_item(
        TableName=physical("users"), Key={"pk": {"S": f"EMAIL#{user.email}"}}
    )
    assert pointer["Item"] == {"pk": {"S": f"EMAIL#{user.email}"}, "user_id": {"S": user.id}}
    stored = await dynamodb.get_item(
        TableName=physical("users"), Key={"pk": {"S": f"USER#{user.id}"}}
    )
    assert set(stored["Item"]) == {
        "pk", "id", "email", "name", "role", "password_hash", "created_at", "addresses", "version"
    }  # fmt: skip


async def test_unknown_ids_and_emails_are_none(store: UserStore) -> None:
    assert await store.get("no-such-id") is None
    assert await store.find_by_email("nobody@example.com") is None


async def test_a_taken_email_writes_nothing(store: UserStore) -> None:
    first = a_user()
    await store.add(first)
    second = a_user(first.email)

    with pytest.raises(EmailTaken):
        await store.add(second)

    assert await store.get(second.id) is None
    assert await store.find_by_email(first.email) == first


async def test_of_concurrent_registrations_of_one_email_exactly_one_wins(store: UserStore) -> None:
    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    contenders = [a_user(email) for _ in range(8)]

    results = await asyncio.gather(*map(store.add, contenders), return_exceptions=True)

    winners = [user for user, result in zip(contenders, results, strict=True) if result is None]
    assert len(winners) == 1
    assert all(isinstance(r, EmailTaken) for r in results if r is not None)
    assert await store.find_by_email(email) == winners[0]


async def test_ensure_admin_creates_the_admin_once(clients: AwsClients, store: UserStore) -> None:
    email = f"Admin-{uuid.uuid4().hex[:8]}@Example.com"

    assert await ensure_admin(clients, email, "admin password 1") is True
    assert await ensure_admin(clients, email, "another password") is False

    admin = await store.find_by_email(email.lower())
    assert admin is not None
    assert (admin.role, admin.name) == ("admin", "Administrator")
    assert PasswordHasher().verify(admin.password_hash, "admin password 1")


async def test_ensure_admin_leaves_an_existing_account_alone(
    clients: AwsClients, store: UserStore
) -> None:
    customer = a_user()
    await store.add(customer)
    assert await ensure_admin(clients, customer.email, "admin password 1") is False
    assert await store.find_by_email(customer.email) == customer
