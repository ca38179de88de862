"""Use cases of the users context: register, log in, read and change a profile."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from ecommerce.users.domain import (
    EMAIL_MAX_LENGTH,
    InvalidEmail,
    ProfileChanges,
    Role,
    User,
    UserNotFound,
    VersionMismatch,
    check_password_policy,
    normalise_email,
    normalise_name,
)
from ecommerce.users.passwords import Passwords
from ecommerce.users.tokens import AccessToken, TokenIssuer

Clock = Callable[[], datetime]


class UserRepository(Protocol):
    """What the use cases need of a store; `UserStore` is the DynamoDB one."""

    async def add(self, user: User) -> None:
        """Store a new user; `EmailTaken` when its email already belongs to someone."""

    async def get(self, user_id: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None: ...

    async def update_profile(
        self, user_id: str, changes: ProfileChanges, expected_version: int | None = None
    ) -> User:
        """The changed user; `UserNotFound`, or `VersionMismatch` if not at `expected_version`."""


class LoginGuard(Protocol):
    """What login needs of a throttle; `LoginThrottle` is the Redis one."""

    async def attempt(self, account: str, client: str) -> None:
        """Count an attempt; raises (`LoginThrottled`) when it must not go on."""

    async def succeeded(self, account: str, client: str) -> None: ...


class InvalidCredentials(Exception):
    """Unknown email or wrong password: deliberately one error, so neither can be probed."""


def utc_now() -> datetime:
    return datetime.now(UTC)


async def new_user(
    passwords: Passwords, email: str, password: str, name: str, role: Role, now: datetime
) -> User:
    """A user checked against the policies, with its password hashed; not yet stored."""
    email = normalise_email(email)
    check_password_policy(password, email)
    return User(
        id=uuid.uuid4().hex,
        email=email,
        name=normalise_name(name),
        role=role,
        password_hash=await passwords.hash(password),
        created_at=now.isoformat(timespec="seconds"),
    )


def throttle_account(email: str) -> str:
    """The account a login attempt counts against: its normalised email, when it is one."""
    try:
        return normalise_email(email)
    except InvalidEmail:
        return email.strip().lower()[: EMAIL_MAX_LENGTH + 64]


class UserService:
    def __init__(
        self,
        store: UserRepository,
        passwords: Passwords,
        tokens: TokenIssuer,
        throttle: LoginGuard,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._tokens = tokens
        self._throttle = throttle
        self._clock = clock

    async def register(self, email: str, password: str, name: str) -> User:
        """A new customer; `EmailTaken` when the address is already registered."""
        user = await new_user(self._passwords, email, password, name, "customer", self._clock())
        await self._store.add(user)
        return user

    async def login(self, email: str, password: str, client: str) -> tuple[User, AccessToken]:
        """A token for the account; `InvalidCredentials`, or the throttle's error when this
        account or this client (an IP address) failed too often."""
        account = throttle_account(email)
        await self._throttle.attempt(account, client)
        try:
            user = await self._store.find_by_email(normalise_email(email))
        except InvalidEmail:
            user = None
        if user is None:
            await self._passwords.burn(password)
            raise InvalidCredentials
        if not await self._passwords.verify(user.password_hash, password):
            raise InvalidCredentials
        await self._throttle.succeeded(account, client)
        return user, self._tokens.issue(user, self._clock())

    async def profile(self, user_id: str) -> User | None:
        return await self._store.get(user_id)

    async def update_profile(
        self, user_id: str, changes: ProfileChanges, expected_version: int | None = None
    ) -> User:
        """The profile with `changes` applied; `UserNotFound`, or `VersionMismatch` when
        `expected_version` is given and the profile is at another one."""
        if not changes.empty:
            return await self._store.update_profile(user_id, changes, expected_version)
        user = await self._store.get(user_id)
        if user is None:
            raise UserNotFound(user_id)
        if expected_version is not None and expected_version != user.version:
            raise VersionMismatch(user.version)
        return user
