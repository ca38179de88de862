"""API Gateway's route selection, throttling and JWT checks, as the local edge applies them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecommerce.devstack.gateway import InvalidToken, TokenBucket, verify
from ecommerce.edge_routes import EDGE_ROUTES
from ecommerce.gateway_routes import GATEWAY_ROUTES, Throttle, route_for
from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set, public_keys
from ecommerce.users.domain import User
from ecommerce.users.tokens import TokenIssuer

ISSUER = "https://api.example.com"
AUDIENCE = "ecommerce"


@pytest.mark.parametrize(
    ("method", "path", "key", "authorized"),
    [
        ("POST", "/auth/login", "POST /auth/login", False),
        ("POST", "/auth/register", "POST /auth/register", False),
        ("GET", "/users/me", "ANY /users/{proxy+}", True),
        ("GET", "/products", "GET /products", False),
        ("GET", "/products/p-001", "GET /products/{proxy+}", False),
        ("GET", "/products/p-001/images", "GET /products/{id}/images", True),
        ("POST", "/products/p-001/images", "ANY /products/{proxy+}", True),
        ("PATCH", "/products/p-001", "ANY /products/{proxy+}", True),
        ("POST", "/products", "POST /products", True),
        ("GET", "/cart", "ANY /cart", True),
        ("PUT", "/cart/items/p-1", "ANY /cart/{proxy+}", True),
        ("POST", "/orders", "ANY /orders", True),
        ("GET", "/orders/o-1", "ANY /orders/{proxy+}", True),
        ("GET", "/.well-known/openid-configuration", "GET /.well-known/{proxy+}", False),
        ("GET", "/categories", "$default", False),
        ("GET", "/docs/orders", "$default", False),
        ("GET", "/nowhere", "$default", False),
    ],
)
def test_a_request_takes_the_route_api_gateway_would_pick(
    method: str, path: str, key: str, authorized: bool
) -> None:
    route = route_for(method, path)
    assert (route.key, route.authorized) == (key, authorized)


def test_route_keys_are_unique_and_every_edge_prefix_is_reachable() -> None:
    keys = [route.key for route in GATEWAY_ROUTES]
    assert len(keys) == len(set(keys))
    for prefix, _ in EDGE_ROUTES:
        assert route_for("GET", prefix) in GATEWAY_ROUTES


def test_a_bucket_takes_a_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(Throttle(rate_limit=2, burst_limit=3), clock=lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0, 0, 0]
    assert bucket.take() == pytest.approx(0.5)  # one more token in half a second
    now[0] += 0.5
    assert bucket.take() == 0
    now[0] += 100
    assert [bucket.take() for _ in range(4)][-1] > 0  # refilled to the burst, not beyond


ADA = User(
    id="u-1",
    email="ada@example.com",
    name="Ada",
    role="customer",
    password_hash="$argon2id$...",
    created_at="2025-01-01T00:00:00+00:00",
)


def rsa_keys() -> tuple[TokenIssuer, dict[str, object]]:
    signing, public = generate_key_set()
    return TokenIssuer(current_signing_key(signing), 60, ISSUER), dict(public_keys(public))


def test_the_authorizer_accepts_what_the_users_service_issues() -> None:
    issuer, keys = rsa_keys()
    token = issuer.issue(ADA, datetime.now(UTC)).token
    assert verify(token, keys, issuer=ISSUER, audience=AUDIENCE)["sub"] == "u-1"


def test_the_authorizer_refuses_as_api_gateway_does() -> None:
    issuer, keys = rsa_keys()
    expired = issuer.issue(ADA, datetime(2020, 1, 1, tzinfo=UTC)).token
    with pytest.raises(InvalidToken, match="expired"):
        verify(expired, keys, issuer=ISSUER, audience=AUDIENCE)
    fresh = issuer.issue(ADA, datetime.now(UTC)).token
    with pytest.raises(InvalidToken, match="issuer"):
        verify(fresh, keys, issuer="https://elsewhere.example.com", audience=AUDIENCE)
    with pytest.raises(InvalidToken, match="audience"):
        verify(fresh, keys, issuer=ISSUER, audience="another-api")
    _, other_keys = rsa_keys()
    with pytest.raises(InvalidToken, match="JWKS"):
        verify(fresh, other_keys, issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(InvalidToken, match="not a JWT"):
        verify("not-a-token", keys, issuer=ISSUER, audience=AUDIENCE)


def test_the_authorizer_accepts_rs256_only() -> None:
    """An HTTP API's JWT authorizer knows RSA keys only: an EdDSA token is refused even when
    its key is published (the services themselves still accept such older keys)."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    key = current_signing_key(
        json.dumps({"current": "ed", "keys": [{"kid": "ed", "private_pem": pem}]})
    )
    token = TokenIssuer(key, 60, ISSUER).issue(ADA, datetime.now(UTC)).token
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    with pytest.raises(InvalidToken, match="algorithm"):
        verify(token, {"ed": private.public_key()}, issuer=ISSUER, audience=AUDIENCE)
