"""Verifying access tokens in every service, from the JWKS kept in Secrets Manager.

The keys are reloaded every minute, and soon after a token names a key not yet known, so a
rotated key is trusted by every service with no restart. Each key verifies with its own
algorithm only (RS256 for RSA keys, EdDSA for the Ed25519 keys of older key sets). The issuer
is a setting (TOKEN_ISSUER): in AWS it is the public URL, which API Gateway's JWT authorizer
checks too.

A token verified once is remembered until it expires (or the keys change): a customer's token
arrives with every request, and checking its signature each time cost ~8 % of the orders
service's CPU per order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from aiohttp import web

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import DEFAULT_TOKEN_ISSUER
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.jwt_keys import PublicKey, algorithm_of, public_keys
from ecommerce.platform.logging import get_logger
from ecommerce.resources import secret_id

ISSUER = DEFAULT_TOKEN_ISSUER
"""The issuer when TOKEN_ISSUER is not set (tests, tools); `ecommerce dev` sets its edge URL."""
AUDIENCE = "ecommerce"

Role = Literal["customer", "admin"]

KEYS_REFRESH_SECONDS = 60.0
VERIFIED_CACHE_SIZE = 10_000
"""Tokens remembered at most; the oldest go first."""
UNKNOWN_KID_REFRESH_SECONDS = 5.0
"""The least time between two reloads; tokens with made-up kids cannot force more."""

log = get_logger("auth")


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenVerifier:
    def __init__(
        self,
        keys: dict[str, PublicKey],
        issuer: str = ISSUER,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._clock = clock
        self._verified: dict[str, tuple[Principal, float]] = {}
        self.unknown_kid_seen = asyncio.Event()

    def replace_keys(self, keys: dict[str, PublicKey]) -> None:
        self._keys = dict(keys)
        self._verified.clear()  # a key taken out must stop admitting its tokens now

    def verify(self, token: str) -> Principal:
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires = remembered
            if self._clock() < expires:
                return principal
            del self._verified[token]
        principal, expires = self._verify(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                self.unknown_kid_seen.set()
                raise jwt.InvalidTokenError("unknown signing key")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm_of(key)],
                audience=AUDIENCE,
                issuer=self._issuer,
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.InvalidTokenError as error:
            raise _unauthorized(f"invalid token: {error}") from error
        role = claims.get("role")
        if role not in ("customer", "admin"):
            raise _unauthorized("invalid token: no role")
        principal = Principal(
            user_id=str(claims["sub"]), email=str(claims.get("email", "")), role=role
        )
        return principal, float(claims["exp"])


async def load_verifier(clients: AwsClients, issuer: str = ISSUER) -> TokenVerifier:
    return TokenVerifier(await _read_public_keys(clients), issuer)


async def keep_keys_current(
    verifier: TokenVerifier,
    clients: AwsClients,
    every: float = KEYS_REFRESH_SECONDS,
    min_gap: float = UNKNOWN_KID_REFRESH_SECONDS,
) -> None:
    """Reload the verifier's keys every `every` seconds, and at most `min_gap` seconds after a
    token names an unknown kid; a failed reload keeps the keys it has. Runs until cancelled."""
    loop = asyncio.get_running_loop()
    last = loop.time()
    while True:
        with suppress(TimeoutError):
            wait = max(0.0, last + every - loop.time())
            await asyncio.wait_for(verifier.unknown_kid_seen.wait(), timeout=wait)
        await asyncio.sleep(max(0.0, last + min_gap - loop.time()))
        verifier.unknown_kid_seen.clear()
        try:
            verifier.replace_keys(await _read_public_keys(clients))
        except Exception as error:
            log.warning("jwks_reload_failed", error=repr(error))
        last = loop.time()


async def _read_public_keys(clients: AwsClients) -> dict[str, PublicKey]:
    secrets = await clients.client("secretsmanager")
    response = await secrets.get_secret_value(SecretId=secret_id("jwt-public-keys"))
    return public_keys(response["SecretString"])


TOKEN_VERIFIER = web.AppKey("token_verifier", TokenVerifier)


def authenticate(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("missing bearer token")
    return request.app[TOKEN_VERIFIER].verify(token.strip())


def require_admin(request: web.Request) -> Principal:
    principal = authenticate(request)
    if not principal.is_admin:
        raise ProblemError(403, "Forbidden", "This needs the admin role.")
    return principal


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
