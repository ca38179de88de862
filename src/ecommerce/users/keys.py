"""Token signing keys: the first key set, rotation, and the users service's view of the key it
signs with.

`init` writes a first key set (one RSA key) into the two secrets Terraform created empty; it
refuses when the signing secret already holds keys. `rotate` adds a new RSA key to both secrets
and makes it current. The public half goes to
the JWKS first and old public keys stay there, so tokens signed before the rotation verify until
they expire. The new key signs only from its `not_before`, `activation_delay` after the rotation:
by then every service has reloaded the JWKS (each does so every minute), so no service meets a
token signed with a key it does not know yet. The users service reloads both secrets every
minute too (`keep_signing_keys_current`), so nothing restarts and nobody is logged out.

    python -m ecommerce.users.keys init       # once, after terraform apply
    python -m ecommerce.users.keys rotate     # with the AWS settings of the environment

Run one rotation at a time: each reads and rewrites the two secrets.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.http.auth import KEYS_REFRESH_SECONDS
from ecommerce.platform.jwt_keys import (
    SigningKey,
    current_signing_key,
    generate_key_set,
    jwks_of,
    new_key,
)
from ecommerce.platform.logging import get_logger
from ecommerce.resources import secret_id
from ecommerce.users.tokens import TokenIssuer, load_jwks, read_secret

SIGNING_SECRET = "jwt-signing-keys"
JWKS_SECRET = "jwt-public-keys"
ACTIVATION_DELAY_SECONDS = 2 * KEYS_REFRESH_SECONDS
KEEP_KEYS = 3
"""Keys kept in each secret, the new one included: rotate less often than every
`access_token_ttl_seconds / (KEEP_KEYS - 1)` and no unexpired token loses its key."""

Clock = Callable[[], datetime]
log = get_logger("users.keys")


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def rotate(
    clients: AwsClients,
    *,
    activation_delay: float = ACTIVATION_DELAY_SECONDS,
    keep: int = KEEP_KEYS,
    now: datetime | None = None,
) -> str:
    """Add a new signing key to both secrets and make it current; its kid."""
    if keep < 2:
        raise ValueError("keep at least the new key and the one signing until it activates")
    now = now or _utc_now()
    signing = json.loads(await read_secret(clients, SIGNING_SECRET))
    jwks = await load_jwks(clients)
    kid, private_key, pem = new_key()
    jwks["keys"] = [*jwks["keys"], *jwks_of([(kid, private_key.public_key())])["keys"]][-keep:]
    not_before = (now + timedelta(seconds=activation_delay)).isoformat()
    signing["keys"] = [
        *signing["keys"],
        {"kid": kid, "private_pem": pem, "not_before": not_before},
    ][-keep:]
    signing["current"] = kid
    secrets = await clients.client("secretsmanager")
    # The public key first: no token may name a key the verifiers cannot find.
    await secrets.put_secret_value(SecretId=secret_id(JWKS_SECRET), SecretString=json.dumps(jwks))
    await secrets.put_secret_value(
        SecretId=secret_id(SIGNING_SECRET), SecretString=json.dumps(signing)
    )
    log.info("signing_key_rotated", kid=kid, not_before=not_before)
    return kid


class KeysExist(RuntimeError):
    """The signing secret already holds keys: rotate them instead."""


async def init(clients: AwsClients) -> str:
    """Write a first key set into the (empty) secrets; the new key's kid."""
    secrets = await clients.client("secretsmanager")
    try:
        await secrets.get_secret_value(SecretId=secret_id(SIGNING_SECRET))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
    else:
        raise KeysExist(f"{secret_id(SIGNING_SECRET)} already holds keys: rotate them instead")
    signing, jwks = generate_key_set()
    # The public key first, as in a rotation.
    await secrets.put_secret_value(SecretId=secret_id(JWKS_SECRET), SecretString=jwks)
    await secrets.put_secret_value(SecretId=secret_id(SIGNING_SECRET), SecretString=signing)
    kid: str = json.loads(signing)["current"]
    log.info("signing_keys_initialised", kid=kid)
    return kid


def signing_key_at(secret: str, now: datetime) -> SigningKey:
    """The key to sign with at `now`: the current one once its `not_before` has passed, until
    then the newest key already active (or the current one if none is)."""
    document = json.loads(secret)
    entries: list[dict[str, Any]] = document["keys"]
    active = [entry for entry in entries if _not_before(entry) <= now]
    chosen = document["current"]
    if all(entry["kid"] != chosen for entry in active) and active:
        chosen = active[-1]["kid"]
    return current_signing_key(json.dumps({"current": chosen, "keys": entries}))


def _not_before(entry: dict[str, Any]) -> datetime:
    raw = entry.get("not_before")
    return datetime.fromisoformat(raw) if isinstance(raw, str) else datetime.min.replace(tzinfo=UTC)


class UserKeys:
    """The key the users service signs with and the JWKS it publishes, from Secrets Manager."""

    def __init__(
        self, clients: AwsClients, signing: SigningKey, jwks: dict[str, Any], clock: Clock
    ) -> None:
        self._clients = clients
        self._clock = clock
        self.signing = signing
        self.jwks = jwks

    @classmethod
    async def load(cls, clients: AwsClients, clock: Clock = _utc_now) -> UserKeys:
        signing, jwks = await cls._read(clients, clock)
        return cls(clients, signing, jwks, clock)

    async def reload(self) -> None:
        self.signing, self.jwks = await self._read(self._clients, self._clock)

    @staticmethod
    async def _read(clients: AwsClients, clock: Clock) -> tuple[SigningKey, dict[str, Any]]:
        # The JWKS first: a key read from the signing secret is then never missing from it.
        jwks = await load_jwks(clients)
        signing = signing_key_at(await read_secret(clients, SIGNING_SECRET), clock())
        return signing, jwks


async def keep_signing_keys_current(
    keys: UserKeys, issuer: TokenIssuer, every: float = KEYS_REFRESH_SECONDS
) -> None:
    """Reload the keys every `every` seconds and sign with the active one; runs until cancelled.
    A failed reload keeps the keys in use."""
    while True:
        await asyncio.sleep(every)
        try:
            await keys.reload()
        except Exception as error:
            log.warning("signing_keys_reload_failed", error=repr(error))
            continue
        if keys.signing.kid != issuer.kid:
            log.info("signing_key_changed", kid=keys.signing.kid)
        issuer.use(keys.signing)


async def _from_environment(command: str) -> str:
    clients = AwsClients(Settings.from_env("users").region)
    try:
        return await (init(clients) if command == "init" else rotate(clients))
    finally:
        await clients.close()


def main(argv: list[str]) -> int:
    if argv not in (["init"], ["rotate"]):
        print("usage: python -m ecommerce.users.keys init|rotate", file=sys.stderr)
        return 2
    try:
        kid = asyncio.run(_from_environment(argv[0]))
    except KeysExist as error:
        print(error, file=sys.stderr)
        return 1
    if argv == ["init"]:
        print(f"first signing key {kid}: published and signing")
    else:
        print(
            f"new signing key {kid}: published now, signs from {ACTIVATION_DELAY_SECONDS:.0f} s on"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
