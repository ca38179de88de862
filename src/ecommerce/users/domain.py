"""Users without I/O: the user record, email normalisation, the password policy, addresses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ecommerce.platform.text_patterns import INVISIBLE, has_visible, trim
from ecommerce.users.common_passwords import is_common_password
from ecommerce.users.countries import ISO_3166_ALPHA_2

Role = Literal["customer", "admin"]
ROLES: tuple[Role, ...] = ("customer", "admin")

EMAIL_MAX_LENGTH = 254
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 1024
PASSWORD_MIN_DISTINCT = 5
NAME_MAX_LENGTH = 100
MAX_ADDRESSES = 5

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by
# mail, not by a regex, and this keeps `email-validator` out of the dependencies.
EMAIL_PATTERN = rf"[^@{INVISIBLE}]{{1,64}}@[^@.{INVISIBLE}]+(\.[^@.{INVISIBLE}]+)+"
_EMAIL = re.compile(EMAIL_PATTERN)


class InvalidEmail(ValueError):
    pass


class WeakPassword(ValueError):
    pass


class InvalidName(ValueError):
    pass


class InvalidCountry(ValueError):
    pass


class EmailTaken(Exception):
    """The email address already belongs to an account."""


class UserNotFound(Exception):
    pass


class VersionMismatch(Exception):
    """The profile changed since the version the caller expected."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the profile is at version {current}")
        self.current = current


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str
    """ISO 3166-1 alpha-2, upper case."""
    label: str | None = None
    line2: str | None = None


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    password_hash: str
    created_at: str
    """ISO 8601, UTC."""
    addresses: tuple[Address, ...] = ()
    version: int = 0
    """Bumped by every profile change; a client sends it back (If-Match) to change safely."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class ProfileChanges:
    """A partial update of a profile: `None` leaves a field as it is."""

    name: str | None = None
    addresses: tuple[Address, ...] | None = None

    @property
    def empty(self) -> bool:
        return self.name is None and self.addresses is None


def normalise_email(raw: str) -> str:
    """The one spelling of an address under which it is stored and looked up."""
    email = trim(raw)
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(email):
        raise InvalidEmail("not a valid email address")
    return email.lower()


def check_password_policy(password: str, email: str | None = None) -> None:
    """`WeakPassword` with a message for the user when the password is not acceptable.

    At least 12 characters of at least two kinds (lower-case, upper-case, digits, other
    letters, symbols and spaces), not the account's email address or its name part, and not a
    common password, even dressed up with digits, symbols or l33t spelling.
    """
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"must be at most {PASSWORD_MAX_LENGTH} characters")
    if len({_kind(character) for character in password}) < 2:
        raise WeakPassword(
            "must mix at least two kinds of characters: lower-case letters, upper-case "
            "letters, digits, symbols or spaces"
        )
    if len(set(password)) < PASSWORD_MIN_DISTINCT:
        raise WeakPassword(f"must use at least {PASSWORD_MIN_DISTINCT} different characters")
    if email is not None and _mentions_email(password, email):
        raise WeakPassword("must not contain your email address or the name before its @")
    if is_common_password(password):
        raise WeakPassword("is too common: it is among the first passwords attackers try")


def _kind(character: str) -> str:
    if character.isdigit():
        return "digit"
    if character.isupper():
        return "upper"
    if character.islower():
        return "lower"
    return "letter" if character.isalpha() else "symbol"


def _mentions_email(password: str, email: str) -> bool:
    folded = password.casefold()
    email = email.strip().casefold()
    local = email.partition("@")[0]
    return email in folded or (len(local) >= 4 and local in folded)


def normalise_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not has_visible(name):
        raise InvalidName("must not be empty")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(f"must be at most {NAME_MAX_LENGTH} characters")
    return name


def normalise_country(raw: str) -> str:
    code = raw.strip().upper()
    if code not in ISO_3166_ALPHA_2:
        raise InvalidCountry("must be an ISO 3166-1 alpha-2 country code, such as FR or US")
    return code
