"""Issuing access tokens: JWTs signed (RS256) with the current key from Secrets Manager."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.http.auth import AUDIENCE, ISSUER
from ecommerce.platform.jwt_keys import SigningKey, current_signing_key, sign
from ecommerce.resources import secret_id
from ecommerce.users.domain import User


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


class TokenIssuer:
    def __init__(self, key: SigningKey, ttl_seconds: int, issuer: str = ISSUER) -> None:
        self._key = key
        self._ttl = ttl_seconds
        self._issuer = issuer

    @property
    def kid(self) -> str:
        return self._key.kid

    def use(self, key: SigningKey) -> None:
        """Sign from now on with `key` (after a rotation)."""
        self._key = key

    def issue(self, user: User, now: datetime) -> AccessToken:
        issued_at = int(now.timestamp())
        claims = {
            "sub": user.id,
            "email": user.email,
            "role": user.role,
            "iss": self._issuer,
            "aud": AUDIENCE,
            "iat": issued_at,
            "exp": issued_at + self._ttl,
        }
        return AccessToken(sign(self._key, claims), self._ttl)


async def read_secret(clients: AwsClients, name: str) -> str:
    secrets = await clients.client("secretsmanager")
    response = await secrets.get_secret_value(SecretId=secret_id(name))
    return str(response["SecretString"])


async def load_signing_key(clients: AwsClients) -> SigningKey:
    return current_signing_key(await read_secret(clients, "jwt-signing-keys"))


async def load_jwks(clients: AwsClients) -> dict[str, Any]:
    document = json.loads(await read_secret(clients, "jwt-public-keys"))
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("the jwt-public-keys secret is not a JWKS document")
    return document
