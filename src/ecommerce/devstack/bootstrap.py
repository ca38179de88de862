"""The data a fresh stack needs: migrations, a demo catalog and an admin account.

The functions called here belong to the services; they are imported when needed, and one that
does not exist yet is skipped with a notice, so that the stack starts while they are written.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType
from typing import cast

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.platform.aws import AwsClients

Say = Callable[[str], None]

MIGRATIONS_MODULE = "ecommerce.orders.migrations"
CATALOG_SEED_MODULE = "ecommerce.catalog.seed"
USERS_SEED_MODULE = "ecommerce.users.seed"

ADMIN_EMAIL_ENV = "ECOMMERCE_ADMIN_EMAIL"
ADMIN_PASSWORD_ENV = "ECOMMERCE_ADMIN_PASSWORD"


class Missing(Exception):
    """The service function is not written yet."""


def optional_function(module_name: str, function: str) -> Callable[..., Awaitable[object]]:
    """`module.function`, or Missing if the module (or the function) does not exist yet.

    An import error from inside an existing module is a bug and is raised as is.
    """
    try:
        module: ModuleType = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name + ".").startswith(error.name + "."):
            raise Missing(f"{module_name} does not exist yet") from error
        raise
    found = getattr(module, function, None)
    if found is None:
        raise Missing(f"{module_name}.{function} does not exist yet")
    return cast(Callable[..., Awaitable[object]], found)


async def apply_migrations(database_url: str, say: Say) -> list[str]:
    try:
        migrate = optional_function(MIGRATIONS_MODULE, "apply_migrations")
    except Missing as missing:
        say(f"migrations skipped: {missing}")
        return []
    applied = cast(list[str], await migrate(database_url))
    say(f"migrations: applied {', '.join(applied)}" if applied else "migrations: up to date")
    return applied


async def seed(clients: AwsClients, say: Say) -> None:
    """The demo catalog and the admin account (both idempotent on the services' side)."""
    try:
        seed_catalog = optional_function(CATALOG_SEED_MODULE, "seed_demo_catalog")
    except Missing as missing:
        say(f"demo catalog skipped: {missing}")
    else:
        count = await seed_catalog(clients)
        say(f"demo catalog: {count} products")
    email, password, defaulted = admin_credentials(os.environ)
    try:
        ensure_admin = optional_function(USERS_SEED_MODULE, "ensure_admin")
    except Missing as missing:
        say(f"admin account skipped: {missing}")
        return
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
