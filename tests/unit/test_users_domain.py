import pytest
from pydantic import ValidationError

from ecommerce.users.domain import (
    InvalidEmail,
    InvalidName,
    WeakPassword,
    check_password_policy,
    normalise_email,
    normalise_name,
)
from ecommerce.users.schemas import LoginRequest, RegisterRequest


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ada@Example.COM", "ada@example.com"),
        ("  ada.lovelace+shop@mail.example.org \n", "ada.lovelace+shop@mail.example.org"),
        ("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
    ],
)
def test_an_email_is_stripped_and_lower_cased(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada lovelace@example.com",
        "ada@example..com",
        "ada@.example.com",
        "ada@example.com.",
        "a" * 65 + "@example.com",
        "ada@" + "e" * 250 + ".com",
    ],
)
def test_a_malformed_email_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidEmail):
        normalise_email(raw)


@pytest.mark.parametrize("password", ["", "short", "1234567", " " * 12, "x" * 1025])
def test_a_weak_or_absurd_password_is_rejected(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password_policy(password)


@pytest.mark.parametrize("password", ["12345678", "correct horse battery staple", "x" * 1024])
def test_a_password_of_eight_or_more_characters_passes(password: str) -> None:
    check_password_policy(password)


def test_a_name_is_trimmed_and_its_spaces_collapsed() -> None:
    assert normalise_name("  Ada \t  Lovelace ") == "Ada Lovelace"


@pytest.mark.parametrize("raw", ["", "   ", "x" * 101])
def test_an_empty_or_long_name_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidName):
        normalise_name(raw)


def test_the_register_body_normalises_and_names_the_bad_fields() -> None:
    body = RegisterRequest.model_validate(
        {"email": " Ada@Example.com ", "password": "long enough", "name": " Ada "}
    )
    assert (body.email, body.name) == ("ada@example.com", "Ada")

    with pytest.raises(ValidationError) as caught:
        RegisterRequest.model_validate({"email": "nope", "password": "short", "name": ""})
    assert {error["loc"][0] for error in caught.value.errors()} == {"email", "password", "name"}


def test_the_register_body_refuses_a_role_and_non_strings() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterRequest.model_validate(
            {"email": "a@b.co", "password": 12345678, "name": "A", "role": "admin"}
        )
    assert {error["loc"][0] for error in caught.value.errors()} == {"password", "role"}


def test_the_login_body_needs_both_fields() -> None:
    with pytest.raises(ValidationError):
        LoginRequest.model_validate({"email": "a@b.co"})
