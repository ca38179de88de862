"""The users use cases against a hand-written fake of the store, with cheap argon2 parameters."""

from datetime import UTC, datetime

import jwt
import pytest
from argon2 import PasswordHasher

from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set
from ecommerce.users.domain import EmailTaken, InvalidEmail, User, WeakPassword
from ecommerce.users.passwords import Passwords
from ecommerce.users.service import InvalidCredentials, UserService
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


async def cheap_passwords() -> Passwords:
    return await Passwords.create(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
async def service() -> UserService:
    signing, _ = generate_key_set()
    issuer = TokenIssuer(current_signing_key(signing), 900)
    return UserService(FakeUsers(), await cheap_passwords(), issuer, clock=lambda: NOW)


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
        await service.register("ADA@example.com ", "another one", "Imposter")


async def test_register_applies_the_policies_without_the_api(service: UserService) -> None:
    with pytest.raises(WeakPassword):
        await service.register("ada@example.com", "short", "Ada")
    with pytest.raises(InvalidEmail):
        await service.register("not-an-email", "correct horse", "Ada")


async def test_login_with_the_right_password_issues_a_token_for_that_user(
    service: UserService,
) -> None:
    ada = await service.register("ada@example.com", "correct horse", "Ada")

    user, token = await service.login("  ADA@example.com", "correct horse")

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
        await service.login(email, password)


async def test_passwords_verify_only_their_own_hash() -> None:
    passwords = await cheap_passwords()
    hashed = await passwords.hash("correct horse")
    assert await passwords.verify(hashed, "correct horse")
    assert not await passwords.verify(hashed, "correct horsE")
    assert not await passwords.verify("not a hash", "correct horse")
    await passwords.burn("anything")
