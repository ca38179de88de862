"""Users without I/O: the user record, email normalisation and the password policy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Role = Literal["customer", "admin"]
ROLES: tuple[Role, ...] = ("customer", "admin")

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
NAME_MAX_LENGTH = 100

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by
# mail, not by a regex, and this keeps `email-validator` out of the dependencies.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


class InvalidEmail(ValueError):
    pass


class WeakPassword(ValueError):
    pass


class InvalidName(ValueError):
    pass


class EmailTaken(Exception):
    """The email address already belongs to an account."""


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    password_hash: str
    created_at: str
    """ISO 8601, UTC."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def normalise_email(raw: str) -> str:
    """The one spelling of an address under which it is stored and looked up."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
        raise InvalidEmail("not a valid email address")
    return email


def check_password_policy(password: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"must be at most {PASSWORD_MAX_LENGTH} characters")
    if not password.strip():
        raise WeakPassword("must not be only whitespace")


def normalise_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise InvalidName("must not be empty")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(f"must be at most {NAME_MAX_LENGTH} characters")
    return name
