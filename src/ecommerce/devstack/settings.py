"""What `ecommerce dev` reads from its environment (its own pydantic-settings model), checked
before anything starts: a bad value is one line naming the variable and the fix."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator

from ecommerce.platform.settings_models import PORT, DeployableSettings
from ecommerce.users.domain import (
    InvalidEmail,
    WeakPassword,
    check_password_policy,
    normalise_email,
)

DEFAULT_EDGE_PORT = 8080
DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_ADMIN_PASSWORD = "Local-Stack-Owner-2468!"
"""For the local stack only; set ECOMMERCE_ADMIN_PASSWORD anywhere else."""


class DevSettings(DeployableSettings):
    ecommerce_edge_port: int = Field(DEFAULT_EDGE_PORT, ge=1, le=65535, description=PORT)
    ecommerce_emulator_snapshot_seconds: float = Field(
        10.0,
        ge=0,
        description="seconds between snapshots of the AWS emulators' state while they are busy "
        "(0: only when the stack stops)",
    )
    ecommerce_admin_email: str = Field(
        DEFAULT_ADMIN_EMAIL, description="the admin account's email address"
    )
    ecommerce_admin_password: str = Field(
        DEFAULT_ADMIN_PASSWORD,
        description="a password of 12 characters or more, of two kinds or more (letters, "
        "digits, symbols), not a common one",
    )

    @field_validator("ecommerce_admin_email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return normalise_email(value)
        except InvalidEmail as error:
            raise ValueError(str(error) or "not an email address") from None

    @field_validator("ecommerce_admin_password")
    @classmethod
    def _password(cls, value: str, info: ValidationInfo) -> str:
        try:
            check_password_policy(value, info.data.get("ecommerce_admin_email"))
        except WeakPassword as error:
            raise ValueError(f"the password {error}") from None
        return value
