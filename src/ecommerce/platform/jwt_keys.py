"""Access-token signing keys: RSA (RS256), each with a `kid`, kept in Secrets Manager.

Two secrets hold them: the private keys (read by the users service only) and the JWKS of
every current public key (read by every service that verifies tokens, and published at
`/.well-known/jwks.json` for API Gateway's JWT authorizer, which accepts RSA keys only).
Rotation adds a key and makes it current; old tokens stay valid while their key stays in the
JWKS. Key sets made before RS256 hold Ed25519 keys (EdDSA): they still sign and verify, each
key with its own algorithm only, until a rotation replaces them with RSA keys.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import (
    RSAPrivateKey,
    RSAPublicKey,
    generate_private_key,
)
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm

ALGORITHM = "RS256"
"""The algorithm of every new key."""
LEGACY_ALGORITHM = "EdDSA"
"""The algorithm of Ed25519 keys made before RS256; verified, never made any more."""
RSA_KEY_BITS = 2048

PrivateKey = RSAPrivateKey | Ed25519PrivateKey
PublicKey = RSAPublicKey | Ed25519PublicKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: PrivateKey

    @property
    def algorithm(self) -> str:
        return algorithm_of(self.private_key)


def algorithm_of(key: PrivateKey | PublicKey) -> str:
    """The one JWS algorithm a key signs or verifies with."""
    if isinstance(key, RSAPrivateKey | RSAPublicKey):
        return ALGORITHM
    return LEGACY_ALGORITHM


def new_key() -> tuple[str, RSAPrivateKey, str]:
    """A fresh signing key: (kid, the key, its PKCS8 PEM)."""
    kid = uuid.uuid4().hex[:16]
    private_key = generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return kid, private_key, pem


def generate_key_set() -> tuple[str, str]:
    """A new key set as (signing secret, JWKS secret) JSON strings."""
    kid, private_key, pem = new_key()
    signing = {"current": kid, "keys": [{"kid": kid, "private_pem": pem}]}
    return json.dumps(signing), json.dumps(jwks_of([(kid, private_key.public_key())]))


def jwks_of(keys: list[tuple[str, PublicKey]]) -> dict[str, Any]:
    entries = []
    for kid, public_key in keys:
        if isinstance(public_key, RSAPublicKey):
            jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(public_key))
        else:
            jwk = json.loads(OKPAlgorithm.to_jwk(public_key))
        entries.append({**jwk, "kid": kid, "use": "sig", "alg": algorithm_of(public_key)})
    return {"keys": entries}


def current_signing_key(secret: str) -> SigningKey:
    document = json.loads(secret)
    for entry in document["keys"]:
        if entry["kid"] == document["current"]:
            key = serialization.load_pem_private_key(entry["private_pem"].encode(), None)
            if not isinstance(key, RSAPrivateKey | Ed25519PrivateKey):
                raise ValueError("signing key is neither RSA nor Ed25519")
            return SigningKey(entry["kid"], key)
    raise ValueError("the current signing key is missing from the key set")


def public_keys(jwks: str) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    for entry in json.loads(jwks)["keys"]:
        key: Any
        if entry.get("kty") == "RSA":
            key = RSAAlgorithm.from_jwk(entry)
        elif entry.get("kty") == "OKP":
            key = OKPAlgorithm.from_jwk(entry)
        else:
            continue
        if isinstance(key, RSAPublicKey | Ed25519PublicKey):
            keys[entry["kid"]] = key
    return keys


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key.private_key, algorithm=key.algorithm, headers={"kid": key.kid})
