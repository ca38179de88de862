"""Verifying access tokens in every service, from the JWKS kept in Secrets Manager."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.jwt_keys import ALGORITHM, public_keys
from ecommerce.resources import secret_id

ISSUER = "ecommerce-users"
AUDIENCE = "ecommerce"

Role = Literal["customer", "admin"]


@dataclass(frozen=True)
class Principal:
    user_id: str
    email: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenVerifier:
    def __init__(self, keys: dict[str, Ed25519PublicKey]) -> None:
        self._keys = keys

    def verify(self, token: str) -> Principal:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise jwt.InvalidTokenError("unknown signing key")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.InvalidTokenError as error:
            raise _unauthorized(f"invalid token: {error}") from error
        role = claims.get("role")
        if role not in ("customer", "admin"):
            raise _unauthorized("invalid token: no role")
        return Principal(user_id=str(claims["sub"]), email=str(claims.get("email", "")), role=role)


async def load_verifier(clients: AwsClients) -> TokenVerifier:
    secrets = await clients.client("secretsmanager")
    response = await secrets.get_secret_value(SecretId=secret_id("jwt-public-keys"))
    return TokenVerifier(public_keys(response["SecretString"]))


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
