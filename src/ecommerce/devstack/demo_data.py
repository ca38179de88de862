"""The data a fresh local stack needs: the orders database's migrations, a demo catalog and an
admin account. Each step is idempotent: a restarted stack runs them again and changes nothing
that is there."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from ecommerce.catalog.products.demo_seed import seed_demo_catalog
from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.orders.migrations import apply_migrations as migrate
from ecommerce.platform.aws import AwsClients
from ecommerce.users.seed import ensure_admin

Say = Callable[[str], None]

ADMIN_EMAIL_ENV = "ECOMMERCE_ADMIN_EMAIL"
ADMIN_PASSWORD_ENV = "ECOMMERCE_ADMIN_PASSWORD"


async def apply_migrations(database_url: str, say: Say) -> list[str]:
    applied = await migrate(database_url)
    say(f"migrations: applied {', '.join(applied)}" if applied else "migrations: up to date")
    return applied


async def seed(clients: AwsClients, say: Say) -> None:
    """The demo catalog and the admin account."""
    count = await seed_demo_catalog(clients)
    say(f"demo catalog: {count} products")
    email, password, defaulted = admin_credentials(os.environ)
    created = await ensure_admin(clients, email, password)
    state = "created" if created else "exists"
    if defaulted:
        say(
            f"admin account ({state}): {email} / {password}  (defaults; set {ADMIN_EMAIL_ENV} "
            f"and {ADMIN_PASSWORD_ENV} to choose your own)"
        )
    else:
        say(f"admin account ({state}): {email} (from {ADMIN_EMAIL_ENV}/{ADMIN_PASSWORD_ENV})")


def admin_credentials(env: Mapping[str, str]) -> tuple[str, str, bool]:
    """(email, password, whether a default was used)."""
    email = env.get(ADMIN_EMAIL_ENV, "").strip()
    password = env.get(ADMIN_PASSWORD_ENV, "")
    defaulted = not email or not password
    return email or DEFAULT_ADMIN_EMAIL, password or DEFAULT_ADMIN_PASSWORD, defaulted
