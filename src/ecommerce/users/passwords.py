"""argon2id password hashes, computed off the event loop: each hash costs tens of milliseconds
of CPU and 64 MiB of memory by design."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(self, hasher: PasswordHasher, dummy_hash: str) -> None:
        self._hasher = hasher
        self._dummy_hash = dummy_hash

    @classmethod
    async def create(cls, hasher: PasswordHasher | None = None) -> Passwords:
        hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory parameters
        dummy_hash = await asyncio.to_thread(hasher.hash, secrets.token_urlsafe(16))
        return cls(hasher, dummy_hash)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def burn(self, password: str) -> None:
        """Spend a real check's time, so an unknown account answers as slowly as a known one."""
        await self.verify(self._dummy_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
