"""The users API's request and response bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecommerce.users.domain import (
    EMAIL_MAX_LENGTH,
    PASSWORD_MAX_LENGTH,
    Role,
    User,
    check_password_policy,
    normalise_email,
    normalise_name,
)
from ecommerce.users.tokens import AccessToken


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterRequest(_Request):
    email: str = Field(max_length=EMAIL_MAX_LENGTH + 64)
    password: str = Field(max_length=PASSWORD_MAX_LENGTH)
    name: str = Field(max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        check_password_policy(value)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return normalise_name(value)


class LoginRequest(_Request):
    email: str = Field(min_length=1, max_length=EMAIL_MAX_LENGTH + 64)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    created_at: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, email=user.email, name=user.name, role=user.role, created_at=user.created_at
        )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int

    @classmethod
    def of(cls, token: AccessToken) -> TokenOut:
        return cls(access_token=token.token, expires_in=token.expires_in)
