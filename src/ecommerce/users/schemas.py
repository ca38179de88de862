"""The users API's request and response bodies.

The domain's checks raise `ValueError`s; here they become pydantic errors with a plain message
and a code of their own, which the problem document shows per field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from ecommerce.platform.text_patterns import PADDING, VISIBLE, has_visible
from ecommerce.users.domain import (
    EMAIL_MAX_LENGTH,
    EMAIL_PATTERN,
    MAX_ADDRESSES,
    NAME_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    Address,
    ProfileChanges,
    Role,
    User,
    check_password_policy,
    normalise_country,
    normalise_email,
    normalise_name,
)
from ecommerce.users.tokens import AccessToken

Value = TypeVar("Value")


def _checked(code: str, check: Callable[[], Value]) -> Value:
    try:
        return check()
    except ValueError as error:
        raise PydanticCustomError(code, str(error)) from error


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# What the domain's checks accept, stated for the document (the checks themselves run in the
# validators below): surrounding whitespace is trimmed, a name needs one visible character.
EMAIL_SCHEMA: JsonDict = {"pattern": f"^{PADDING}{EMAIL_PATTERN}{PADDING}$"}
PASSWORD_SCHEMA: JsonDict = {"minLength": PASSWORD_MIN_LENGTH, "format": "password"}
NAME_SCHEMA: JsonDict = {"pattern": VISIBLE}
COUNTRY_SCHEMA: JsonDict = {"format": "iso3166-alpha2"}
"""A format, not an enum of the 249 codes: the fuzzer would try each one."""


class RegisterRequest(_Request):
    email: str = Field(max_length=EMAIL_MAX_LENGTH, json_schema_extra=EMAIL_SCHEMA)
    password: str = Field(
        max_length=PASSWORD_MAX_LENGTH,
        json_schema_extra=PASSWORD_SCHEMA,
        description=(
            f"At least {PASSWORD_MIN_LENGTH} characters of at least two kinds (lower-case, "
            "upper-case, digits, symbols or spaces); not the email address; not a common "
            "password."
        ),
    )
    name: str = Field(max_length=NAME_MAX_LENGTH, json_schema_extra=NAME_SCHEMA)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _checked("invalid_email", lambda: normalise_email(value))

    @field_validator("password")
    @classmethod
    def _password(cls, value: str, info: ValidationInfo) -> str:
        email = info.data.get("email")  # absent when the email itself is invalid
        _checked("weak_password", lambda: check_password_policy(value, email))
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _checked("invalid_name", lambda: normalise_name(value))


class LoginRequest(_Request):
    email: str = Field(min_length=1, max_length=EMAIL_MAX_LENGTH + 64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class AddressIn(_Request):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str | None = Field(None, max_length=50, description="Such as `home` or `work`.")
    line1: str = Field(min_length=1, max_length=200, json_schema_extra=NAME_SCHEMA)
    line2: str | None = Field(None, max_length=200)
    city: str = Field(min_length=1, max_length=100, json_schema_extra=NAME_SCHEMA)
    postal_code: str = Field(min_length=1, max_length=20, json_schema_extra=NAME_SCHEMA)
    country: str = Field(
        min_length=2,
        max_length=2,
        description="ISO 3166-1 alpha-2 code, such as `FR`.",
        json_schema_extra=COUNTRY_SCHEMA,
    )

    @field_validator("label", "line2")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("line1", "city", "postal_code")
    @classmethod
    def _visible(cls, value: str) -> str:
        if not has_visible(value):
            raise PydanticCustomError("invisible", "must have a visible character")
        return value

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        return _checked("invalid_country", lambda: normalise_country(value))

    def to_domain(self) -> Address:
        return Address(
            line1=self.line1,
            city=self.city,
            postal_code=self.postal_code,
            country=self.country,
            label=self.label,
            line2=self.line2,
        )


def _no_default(schema: JsonDict) -> None:
    """A field's default is not a value to send: absent means unchanged."""
    schema.pop("default", None)


def _name_no_default(schema: JsonDict) -> None:
    _no_default(schema)
    schema.update(NAME_SCHEMA)


class UpdateProfileRequest(_Request):
    """Only the fields sent change; `addresses` replaces the whole list (`[]` removes all)."""

    # An absent field keeps its default, unvalidated, and `to_changes` leaves it out.
    name: str = Field("", max_length=NAME_MAX_LENGTH, json_schema_extra=_name_no_default)
    addresses: list[AddressIn] = Field(
        default_factory=list, max_length=MAX_ADDRESSES, json_schema_extra=_no_default
    )

    @field_validator("name", "addresses", mode="before")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            hint = "; use [] to remove every address" if info.field_name == "addresses" else ""
            raise PydanticCustomError(
                "null_value", "must not be null; leave it out to keep it{hint}", {"hint": hint}
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _checked("invalid_name", lambda: normalise_name(value))

    def to_changes(self) -> ProfileChanges:
        sent = self.model_fields_set
        return ProfileChanges(
            name=self.name if "name" in sent else None,
            addresses=(
                tuple(address.to_domain() for address in self.addresses)
                if "addresses" in sent
                else None
            ),
        )


class AddressOut(BaseModel):
    label: str | None
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str

    @classmethod
    def of(cls, address: Address) -> AddressOut:
        return cls(
            label=address.label,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            postal_code=address.postal_code,
            country=address.country,
        )


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    addresses: list[AddressOut]
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            role=user.role,
            addresses=[AddressOut.of(address) for address in user.addresses],
            created_at=user.created_at,
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.")

    @classmethod
    def of(cls, token: AccessToken) -> TokenOut:
        return cls(access_token=token.token, expires_in=token.expires_in)


class JsonWebKey(BaseModel):
    model_config = ConfigDict(extra="allow")

    kty: str
    kid: str
    alg: str | None = None
    use: str | None = None


class JwksOut(BaseModel):
    """Every public key that signs access tokens now or signed unexpired ones (RFC 7517)."""

    keys: list[JsonWebKey]


class OpenIdConfigurationOut(BaseModel):
    """OpenID Connect discovery (the fields a JWT verifier such as API Gateway reads)."""

    issuer: str = Field(description="The `iss` of every access token.")
    jwks_uri: str = Field(description="Where the public keys are (JWKS).")
    id_token_signing_alg_values_supported: list[str]
    response_types_supported: list[str]
    subject_types_supported: list[str]
    token_endpoint: str = Field(description="Where a password sign-in gets an access token.")
