"""The first admin, created at start-up of the local stack (and by operators in AWS)."""

from __future__ import annotations

from ecommerce.platform.aws import AwsClients
from ecommerce.resources import physical
from ecommerce.users.domain import EmailTaken, normalise_email
from ecommerce.users.passwords import Passwords
from ecommerce.users.service import new_user, utc_now
from ecommerce.users.store import UserStore


async def ensure_admin(clients: AwsClients, email: str, password: str) -> bool:
    """Create an admin with this email unless the email is registered; whether it created one.

    An existing account keeps its role and password. The password policy applies: a weak
    password raises `WeakPassword` (a `ValueError`), as a bad email raises `InvalidEmail`.
    """
    store = UserStore(await clients.client("dynamodb"), physical("users"))
    if await store.find_by_email(normalise_email(email)) is not None:
        return False
    passwords = await Passwords.create()
    admin = await new_user(passwords, email, password, "Administrator", "admin", utc_now())
    try:
        await store.add(admin)
    except EmailTaken:
        return False
    return True
