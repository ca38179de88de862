from datetime import UTC, datetime

import jwt
import pytest

from ecommerce.platform.http.auth import AUDIENCE, ISSUER, TokenVerifier
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set, public_keys
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
        algorithms=["EdDSA"],
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
