"""The users use cases against a hand-written fake of the store, with cheap argon2 parameters."""

import dataclasses
from datetime import UTC, datetime

import jwt
import pytest
from argon2 import PasswordHasher

from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set
from ecommerce.users.domain import (
    Address,
    EmailTaken,
    InvalidEmail,
    ProfileChanges,
    User,
    UserNotFound,
    VersionMismatch,
    WeakPassword,
)
from ecommerce.users.passwords import Passwords
from ecommerce.users.service import InvalidCredentials, UserService
from ecommerce.users.throttle import LoginThrottled
from ecommerce.users.tokens import TokenIssuer

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


class FakeUsers:
    def __init__(self) -> None:
        self.by_id: dict[str, User] = {}

    async def add(self, user: User) -> None:
        if any(existing.email == user.email for existing in self.by_id.values()):
            raise EmailTaken(user.email)
        self.by_id[user.id] = user

    async def get(self, user_id: str) -> User | None:
        return self.by_id.get(user_id)

    async def find_by_email(self, email: str) -> User | None:
        return next((u for u in self.by_id.values() if u.email == email), None)

    async def update_profile(
        self, user_id: str, changes: ProfileChanges, expected_version: int | None = None
    ) -> User:
        user = self.by_id.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        if expected_version is not None and expected_version != user.version:
            raise VersionMismatch(user.version)
        user = dataclasses.replace(
            user,
            name=user.name if changes.name is None else changes.name,
            addresses=user.addresses if changes.addresses is None else changes.addresses,
            version=user.version + 1,
        )
        self.by_id[user_id] = user
        return user


class FakeThrottle:
    """Records what login tells it; refuses every attempt once `locked`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.locked = False

    async def attempt(self, account: str, client: str) -> None:
        self.calls.append(("attempt", account, client))
        if self.locked:
            raise LoginThrottled("account", 60)

    async def succeeded(self, account: str, client: str) -> None:
        self.calls.append(("succeeded", account, client))


async def cheap_passwords() -> Passwords:
    return await Passwords.create(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def throttle() -> FakeThrottle:
    return FakeThrottle()


@pytest.fixture
async def service(throttle: FakeThrottle) -> UserService:
    signing, _ = generate_key_set()
    issuer = TokenIssuer(current_signing_key(signing), 900)
    return UserService(FakeUsers(), await cheap_passwords(), issuer, throttle, clock=lambda: NOW)


async def test_register_makes_a_customer_with_a_normalised_email_and_an_argon2id_hash(
    service: UserService,
) -> None:
    user = await service.register(" Ada@Example.COM ", "correct horse", " Ada ")

    assert (user.email, user.name, user.role) == ("ada@example.com", "Ada", "customer")
    assert user.created_at == "2030-01-02T03:04:05+00:00"
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert await service.profile(user.id) == user


async def test_an_email_registers_once_whatever_its_case(service: UserService) -> None:
    await service.register("ada@example.com", "correct horse", "Ada")
    with pytest.raises(EmailTaken):
        await service.register("ADA@example.com ", "another one 2", "Imposter")


async def test_register_applies_the_policies_without_the_api(service: UserService) -> None:
    with pytest.raises(WeakPassword):
        await service.register("ada@example.com", "short", "Ada")
    with pytest.raises(InvalidEmail):
        await service.register("not-an-email", "correct horse", "Ada")


async def test_login_with_the_right_password_issues_a_token_for_that_user(
    service: UserService,
) -> None:
    ada = await service.register("ada@example.com", "correct horse", "Ada")

    user, token = await service.login("  ADA@example.com", "correct horse", "192.0.2.1")

    assert user == ada
    assert token.expires_in == 900
    claims = jwt.decode(token.token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["exp"] - claims["iat"]) == (
        ada.id,
        "customer",
        900,
    )


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.com", "wrong password"),
        ("nobody@example.com", "correct horse"),
        ("not an email", "correct horse"),
        ("ada@example.com", "Correct horse"),
    ],
)
async def test_every_failed_login_is_the_same_error(
    service: UserService, email: str, password: str
) -> None:
    await service.register("ada@example.com", "correct horse", "Ada")
    with pytest.raises(InvalidCredentials):
        await service.login(email, password, "192.0.2.1")


async def test_passwords_verify_only_their_own_hash() -> None:
    passwords = await cheap_passwords()
    hashed = await passwords.hash("correct horse")
    assert await passwords.verify(hashed, "correct horse")
    assert not await passwords.verify(hashed, "correct horsE")
    assert not await passwords.verify("not a hash", "correct horse")
    await passwords.burn("anything")


async def test_login_counts_the_attempt_first_and_gives_it_back_on_success(
    service: UserService, throttle: FakeThrottle
) -> None:
    await service.register("ada@example.com", "correct horse", "Ada")

    with pytest.raises(InvalidCredentials):
        await service.login("ADA@example.com", "wrong password", "192.0.2.1")
    await service.login(" ada@example.com", "correct horse", "192.0.2.1")

    assert throttle.calls == [
        ("attempt", "ada@example.com", "192.0.2.1"),
        ("attempt", "ada@example.com", "192.0.2.1"),
        ("succeeded", "ada@example.com", "192.0.2.1"),
    ]


async def test_a_throttled_login_is_refused_even_with_the_right_password(
    service: UserService, throttle: FakeThrottle
) -> None:
    await service.register("ada@example.com", "correct horse", "Ada")
    throttle.locked = True

    with pytest.raises(LoginThrottled) as caught:
        await service.login("ada@example.com", "correct horse", "192.0.2.1")

    assert caught.value.retry_after == 60
    assert ("succeeded", "ada@example.com", "192.0.2.1") not in throttle.calls


async def test_a_malformed_email_still_counts_against_its_spelling(
    service: UserService, throttle: FakeThrottle
) -> None:
    with pytest.raises(InvalidCredentials):
        await service.login(" Not An Email ", "whatever it is", "192.0.2.1")
    assert throttle.calls == [("attempt", "not an email", "192.0.2.1")]


HOME = Address(line1="12 Rue de Rivoli", city="Paris", postal_code="75001", country="FR")


async def test_a_profile_change_touches_only_the_fields_given(service: UserService) -> None:
    ada = await service.register("ada@example.com", "correct horse", "Ada")

    renamed = await service.update_profile(ada.id, ProfileChanges(name="Ada King"))
    moved = await service.update_profile(ada.id, ProfileChanges(addresses=(HOME,)))

    assert (renamed.name, renamed.addresses, renamed.version) == ("Ada King", (), 1)
    assert (moved.name, moved.addresses, moved.version) == ("Ada King", (HOME,), 2)


async def test_an_empty_change_writes_nothing_but_still_checks_the_version(
    service: UserService,
) -> None:
    ada = await service.register("ada@example.com", "correct horse", "Ada")

    assert await service.update_profile(ada.id, ProfileChanges(), expected_version=0) == ada
    with pytest.raises(VersionMismatch):
        await service.update_profile(ada.id, ProfileChanges(), expected_version=3)
    with pytest.raises(UserNotFound):
        await service.update_profile("nobody", ProfileChanges())
