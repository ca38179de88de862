"""What API Gateway does in front of the services in AWS, done by the local edge.

Per route of `ecommerce.gateway_routes`: a token bucket (429 `{"message":"Too Many
Requests"}` with `Retry-After` when empty) and, on the authenticated routes, a JWT check made
as the HTTP API's JWT authorizer makes it: the keys come from the issuer's OpenID discovery
(`<issuer>/.well-known/openid-configuration`, then its `jwks_uri`), only RS256 is accepted,
`iss` must be the issuer, `aud` must hold the audience, and `exp`/`nbf` must hold. A missing
or bad token gets API Gateway's own answer: 401 `{"message":"Unauthorized"}`, with a
`www-authenticate` header naming the reason for a bad one. These are API Gateway's bodies, not
problem documents: it writes them itself, before any service sees the request.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from ecommerce.gateway_routes import GatewayRoute, Throttle
from ecommerce.platform.jwt_keys import ALGORITHM, public_keys

Clock = Callable[[], float]
KEYS_MIN_REFRESH_SECONDS = 5.0
"""The least time between two JWKS fetches; tokens with made-up kids cannot force more."""


def gateway_message(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """An answer API Gateway writes itself: JSON `{"message": ...}`."""
    return web.Response(
        status=status,
        text=json.dumps({"message": message}),
        content_type="application/json",
        headers=headers,
    )


class TokenBucket:
    """`burst` tokens at most, refilled at `rate` a second; a request takes one."""

    def __init__(self, throttle: Throttle, clock: Clock = time.monotonic) -> None:
        self._rate = throttle.rate_limit
        self._burst = float(throttle.burst_limit)
        self._tokens = self._burst
        self._clock = clock
        self._at = clock()

    def take(self) -> float:
        """0 when a token was taken; else the seconds until one is there."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


class InvalidToken(Exception):
    """Why the authorizer refuses a token (API Gateway's error_description)."""


def verify(token: str, keys: dict[str, Any], *, issuer: str, audience: str) -> dict[str, Any]:
    """The claims of a token API Gateway's JWT authorizer would accept; else InvalidToken."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError as error:
        raise InvalidToken("the token is not a JWT") from error
    if header.get("alg") != ALGORITHM:
        raise InvalidToken(f"the token's algorithm {header.get('alg')!r} is not supported")
    key = keys.get(header.get("kid", ""))
    if not isinstance(key, RSAPublicKey):
        raise InvalidToken("the token's signing key is not in the issuer's JWKS")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise InvalidToken("the token has expired") from error
    except jwt.InvalidAudienceError as error:
        raise InvalidToken("the token does not have a valid audience") from error
    except jwt.InvalidIssuerError as error:
        raise InvalidToken("the token does not have a valid issuer") from error
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"the token is not valid: {error}") from error
    return claims


@dataclass
class Gateway:
    """The gateway's state in the edge: a bucket per route, the issuer's keys."""

    audience: str
    issuer: str | None = None
    """None: the edge's own URL (the users service answers discovery through it)."""
    clock: Clock = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)
    _keys: dict[str, Any] = field(default_factory=dict)
    _fetched_at: float = -math.inf
    _fetching: asyncio.Lock = field(default_factory=asyncio.Lock)

    def throttled(self, route: GatewayRoute) -> web.Response | None:
        bucket = self._buckets.get(route.key)
        if bucket is None:
            bucket = self._buckets[route.key] = TokenBucket(route.throttle, self.clock)
        wait = bucket.take()
        if wait == 0:
            return None
        return gateway_message(
            429, "Too Many Requests", {"Retry-After": str(max(1, math.ceil(wait)))}
        )

    async def unauthorized(
        self, authorization: str | None, session: aiohttp.ClientSession
    ) -> web.Response | None:
        """None when the request may pass; else the 401 API Gateway answers."""
        token = (authorization or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            return gateway_message(401, "Unauthorized")
        assert self.issuer is not None
        try:
            if _kid(token) not in self._keys:
                await self._refresh(session)
            verify(token, self._keys, issuer=self.issuer, audience=self.audience)
        except InvalidToken as error:
            challenge = f'Bearer scope="" error="invalid_token" error_description="{error}"'
            return gateway_message(401, "Unauthorized", {"www-authenticate": challenge})
        return None

    async def _refresh(self, session: aiohttp.ClientSession) -> None:
        async with self._fetching:
            if self.clock() - self._fetched_at < KEYS_MIN_REFRESH_SECONDS:
                return
            self._fetched_at = self.clock()
            assert self.issuer is not None
            discovery_url = f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"
            try:
                timeout = aiohttp.ClientTimeout(total=5)
                async with session.get(discovery_url, timeout=timeout) as answer:
                    answer.raise_for_status()
                    jwks_uri = str((await answer.json())["jwks_uri"])
                async with session.get(jwks_uri, timeout=timeout) as answer:
                    answer.raise_for_status()
                    self._keys = dict(public_keys(await answer.text()))
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as error:
                raise InvalidToken(f"the issuer's keys could not be fetched: {error}") from error


def _kid(token: str) -> str:
    try:
        return str(jwt.get_unverified_header(token).get("kid", ""))
    except jwt.InvalidTokenError:
        return ""
