"""Login throttling in Redis: per account and per client, fixed windows, exponential lockouts.

Every attempt is counted before the password is checked, in one atomic script per scope, so a
burst of concurrent guesses cannot slip past the limit while the (slow) hash is verified. A
success gives its attempt back: the account's counter is reset, the client's is decremented.
Once more than `max_failures` attempts fall in one window, the scope is locked for
`base_lockout` seconds, doubled for every further lockout remembered (`memory`), up to
`max_lockout`. Keys carry a hash of the email, never the address itself, and a hash tag so
that each scope's keys share a slot in a Redis cluster.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

KEY_PREFIX = "users:login"


@dataclass(frozen=True)
class ThrottleRule:
    scope: str
    max_failures: int
    """Attempts allowed per window; the next one is refused and starts a lockout."""
    window_seconds: int
    base_lockout_seconds: int
    max_lockout_seconds: int
    memory_seconds: int = 24 * 3600
    """How long past lockouts count towards the next one's length."""


ACCOUNT_RULE = ThrottleRule(
    "account", max_failures=5, window_seconds=900, base_lockout_seconds=60, max_lockout_seconds=900
)
"""Capped at 15 minutes: whoever knows an email can lock its owner out, but not for long."""
CLIENT_RULE = ThrottleRule(
    "client", max_failures=20, window_seconds=900, base_lockout_seconds=60, max_lockout_seconds=3600
)


class LoginThrottled(Exception):
    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"too many failed logins for this {scope}; retry in {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


# KEYS: attempts, lock, level. ARGV: max, window, base lockout, max lockout, memory (seconds).
# Returns 0 when the attempt may go on, else the milliseconds until it may be tried again.
_ATTEMPT = """
local locked = redis.call('PTTL', KEYS[2])
if locked > 0 then return locked end
local attempts = redis.call('INCR', KEYS[1])
if attempts == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if attempts <= tonumber(ARGV[1]) then return 0 end
local level = redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[5])
local seconds = math.min(tonumber(ARGV[3]) * 2 ^ math.min(level - 1, 30), tonumber(ARGV[4]))
local lockout = math.floor(seconds * 1000)
redis.call('SET', KEYS[2], '1', 'PX', lockout)
redis.call('DEL', KEYS[1])
return lockout
"""

# KEYS: attempts. Gives a successful attempt back without going below zero.
_GIVE_BACK = """
local attempts = tonumber(redis.call('GET', KEYS[1]) or '0')
if attempts > 0 then redis.call('DECR', KEYS[1]) end
return 0
"""


def _subject_hash(subject: str) -> str:
    return hashlib.sha256(subject.encode()).hexdigest()[:32]


def _keys(rule: ThrottleRule, subject: str) -> list[str]:
    tag = f"{{{KEY_PREFIX}:{rule.scope}:{_subject_hash(subject)}}}"
    return [f"{tag}:attempts", f"{tag}:lock", f"{tag}:level"]


class LoginThrottle:
    def __init__(
        self,
        redis: Redis,
        account: ThrottleRule = ACCOUNT_RULE,
        client: ThrottleRule = CLIENT_RULE,
    ) -> None:
        self._redis = redis
        self._account = account
        self._client = client
        self._attempt: Any = redis.register_script(_ATTEMPT)
        self._give_back: Any = redis.register_script(_GIVE_BACK)

    async def attempt(self, account: str, client: str) -> None:
        """Count one login attempt; `LoginThrottled` when the client or the account is locked.

        The client is checked first: a client already locked out adds nothing to the account.
        """
        for rule, subject in ((self._client, client), (self._account, account)):
            wait_ms = int(
                await self._attempt(
                    keys=_keys(rule, subject),
                    args=[
                        rule.max_failures,
                        rule.window_seconds,
                        rule.base_lockout_seconds,
                        rule.max_lockout_seconds,
                        rule.memory_seconds,
                    ],
                )
            )
            if wait_ms > 0:
                raise LoginThrottled(rule.scope, max(1, math.ceil(wait_ms / 1000)))

    async def succeeded(self, account: str, client: str) -> None:
        """The attempt was right: reset the account's count and give the client its attempt."""
        await self._redis.delete(_keys(self._account, account)[0])
        await self._give_back(keys=_keys(self._client, client)[:1])

    async def ping(self) -> None:
        await self._redis.ping()
