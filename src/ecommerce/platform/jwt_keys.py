"""Access-token signing keys: Ed25519, each with a `kid`, kept in Secrets Manager.

Two secrets hold them: the private keys (read by the users service only) and the JWKS of
every current public key (read by every service that verifies tokens). Rotation adds a key
and makes it current; old tokens stay valid while their key stays in the JWKS.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


def new_key() -> tuple[str, Ed25519PrivateKey, str]:
    """A fresh signing key: (kid, the key, its PKCS8 PEM)."""
    kid = uuid.uuid4().hex[:16]
    private_key = Ed25519PrivateKey.generate()
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


def jwks_of(keys: list[tuple[str, Ed25519PublicKey]]) -> dict[str, Any]:
    entries = []
    for kid, public_key in keys:
        jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(public_key))
        entries.append({**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM})
    return {"keys": entries}


def current_signing_key(secret: str) -> SigningKey:
    document = json.loads(secret)
    for entry in document["keys"]:
        if entry["kid"] == document["current"]:
            key = serialization.load_pem_private_key(entry["private_pem"].encode(), None)
            if not isinstance(key, Ed25519PrivateKey):
                raise ValueError("signing key is not Ed25519")
            return SigningKey(entry["kid"], key)
    raise ValueError("the current signing key is missing from the key set")


def public_keys(jwks: str) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for entry in json.loads(jwks)["keys"]:
        key = OKPAlgorithm.from_jwk(entry)
        if isinstance(key, Ed25519PublicKey):
            keys[entry["kid"]] = key
    return keys


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
