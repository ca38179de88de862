import json
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecommerce.platform.http.auth import AUDIENCE, ISSUER, TokenVerifier
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set, jwks_of, public_keys
from ecommerce.users.domain import User
from ecommerce.users.tokens import TokenIssuer

ADA = User(
    id="u-1",
    email="ada@example.com",
    name="Ada",
    role="admin",
    password_hash="$argon2id$...",
    created_at="2025-01-01T00:00:00+00:00",
)


def test_a_token_carries_the_kid_and_the_claims_every_service_checks() -> None:
    signing, public = generate_key_set()
    key = current_signing_key(signing)
    now = datetime(2030, 1, 1, tzinfo=UTC)

    token = TokenIssuer(key, ttl_seconds=600).issue(ADA, now)

    assert token.expires_in == 600
    assert jwt.get_unverified_header(token.token)["kid"] == key.kid
    claims = jwt.decode(
        token.token,
        public_keys(public)[key.kid],
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "sub": "u-1",
        "email": "ada@example.com",
        "role": "admin",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 600,
    }


def test_the_platform_verifier_accepts_a_fresh_token_and_refuses_an_expired_one() -> None:
    signing, public = generate_key_set()
    issuer = TokenIssuer(current_signing_key(signing), ttl_seconds=60)
    verifier = TokenVerifier(public_keys(public))

    principal = verifier.verify(issuer.issue(ADA, datetime.now(UTC)).token)
    assert (principal.user_id, principal.role, principal.is_admin) == ("u-1", "admin", True)

    with pytest.raises(ProblemError) as caught:
        verifier.verify(issuer.issue(ADA, datetime(2020, 1, 1, tzinfo=UTC)).token)
    assert caught.value.status == 401


def test_a_token_signed_with_another_key_set_is_refused() -> None:
    signing, _ = generate_key_set()
    _, other_public = generate_key_set()
    token = TokenIssuer(current_signing_key(signing), 60).issue(ADA, datetime.now(UTC))
    with pytest.raises(ProblemError):
        TokenVerifier(public_keys(other_public)).verify(token.token)


def test_a_verified_token_is_remembered_until_it_expires_or_the_keys_change() -> None:
    signing, public = generate_key_set()
    issued = datetime.now(UTC)
    token = TokenIssuer(current_signing_key(signing), ttl_seconds=60).issue(ADA, issued).token
    now = [issued.timestamp()]
    verifier = TokenVerifier(public_keys(public), clock=lambda: now[0])
    calls = 0
    verify = verifier._verify

    def counting(token: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return verify(token)

    verifier._verify = counting  # type: ignore[method-assign]
    for _ in range(3):
        assert verifier.verify(token).user_id == "u-1"
    assert calls == 1, "the signature is checked once"
    now[0] += 61  # past the remembered expiry: its signature is checked again
    verifier.verify(token)
    assert calls == 2
    _, other_public = generate_key_set()
    verifier.replace_keys(public_keys(other_public))  # its key withdrawn: refused at once
    with pytest.raises(ProblemError):
        verifier.verify(token)


def test_new_keys_are_rsa_and_published_for_rs256() -> None:
    signing, public = generate_key_set()
    key = current_signing_key(signing)
    assert key.algorithm == "RS256"
    (jwk,) = json.loads(public)["keys"]
    assert (jwk["kty"], jwk["alg"], jwk["use"], jwk["kid"]) == ("RSA", "RS256", "sig", key.kid)
    assert {"n", "e"} <= set(jwk) and "d" not in jwk


def test_a_key_set_made_before_rs256_still_signs_and_verifies_eddsa_only() -> None:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    legacy = current_signing_key(
        json.dumps({"current": "old", "keys": [{"kid": "old", "private_pem": pem}]})
    )
    assert legacy.algorithm == "EdDSA"
    rsa_signing, rsa_public = generate_key_set()
    rsa_key = current_signing_key(rsa_signing)
    keys = {
        **public_keys(json.dumps(jwks_of([("old", private.public_key())]))),
        **public_keys(rsa_public),
    }
    verifier = TokenVerifier(keys)
    now = datetime.now(UTC)
    for key in (legacy, rsa_key):
        assert verifier.verify(TokenIssuer(key, 60).issue(ADA, now).token).user_id == "u-1"
    # A key verifies with its own algorithm only: an HS256 token naming the RSA key's kid (its
    # public numbers as the HMAC secret) is refused.
    forged = jwt.encode(
        {"sub": "x", "role": "admin", "iss": ISSUER, "aud": AUDIENCE, "iat": 1, "exp": 2**31},
        "a-shared-secret-of-at-least-thirty-two-bytes",
        algorithm="HS256",
        headers={"kid": rsa_key.kid},
    )
    with pytest.raises(ProblemError):
        verifier.verify(forged)


def test_the_issuer_is_a_setting_that_both_sides_use() -> None:
    signing, public = generate_key_set()
    issued = TokenIssuer(current_signing_key(signing), 60, "https://api.example.com").issue(
        ADA, datetime.now(UTC)
    )
    assert jwt.decode(issued.token, options={"verify_signature": False})["iss"] == (
        "https://api.example.com"
    )
    assert TokenVerifier(public_keys(public), "https://api.example.com").verify(issued.token)
    with pytest.raises(ProblemError):
        TokenVerifier(public_keys(public)).verify(issued.token)
