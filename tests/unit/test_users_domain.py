from pathlib import Path

import pytest
from pydantic import ValidationError

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.users.countries import ISO_3166_ALPHA_2
from ecommerce.users.domain import (
    InvalidCountry,
    InvalidEmail,
    InvalidName,
    WeakPassword,
    check_password_policy,
    normalise_country,
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


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "at least 12 characters"),
        ("short", "at least 12 characters"),
        ("Abcdefgh1!x", "at least 12 characters"),
        ("x" * 1025, "at most 1024 characters"),
        (" " * 12, "two kinds of characters"),
        ("abcdefghijklmnop", "two kinds of characters"),
        ("ABCDEFGHIJKLMNOP", "two kinds of characters"),
        ("1234567890123456", "two kinds of characters"),
        ("!@#$%^&*()_+-=[]", "two kinds of characters"),
        ("aaaaaaaaaaa1", "at least 5 different characters"),
        ("abababab1212", "at least 5 different characters"),
        ("Password123456", "too common"),
        ("P@ssw0rd2024!", "too common"),
        ("qwertyqwerty1", "too common"),
        ("iloveyou 1234", "too common"),
        ("Summer 2024!!!", "too common"),
        ("l3tm31n!!!!!", "too common"),
        ("correct horse battery staple", "too common"),
        ("1q2w3e4r5t6y", "too common"),
    ],
)
def test_a_weak_or_absurd_password_is_refused_with_the_reason(password: str, message: str) -> None:
    with pytest.raises(WeakPassword, match=message):
        check_password_policy(password)


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("ada.lovelace@example.com", "ada.lovelace@example.com"),
        ("my ADA.LOVELACE@EXAMPLE.COM pw", "ada.lovelace@example.com"),
        ("ada.lovelace-1815", "ada.lovelace@example.com"),
        ("Dev-Admin-Passw0rd!", "admin@example.com"),
    ],
)
def test_a_password_holding_the_email_is_refused(password: str, email: str) -> None:
    check_password_policy(password)  # fine for anyone else
    with pytest.raises(WeakPassword, match="email address"):
        check_password_policy(password, email)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse",
        "correct-horse-1",
        "a-long-enough-password-1",
        "Tr0ub4dor&3-xyz",
        "ada's own secret 1815",  # a local part under 4 characters is not looked for
        "Ab1!" + "x" * 1020,
        "été à Montréal 1976",
    ],
)
def test_a_long_mixed_uncommon_password_passes(password: str) -> None:
    check_password_policy(password, "ada@example.com")


def test_the_local_stack_default_admin_password_passes_the_policy() -> None:
    check_password_policy(DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_EMAIL)


@pytest.mark.parametrize(("raw", "code"), [("fr", "FR"), (" US ", "US"), ("gb", "GB")])
def test_a_country_is_an_upper_case_iso_code(raw: str, code: str) -> None:
    assert normalise_country(raw) == code


@pytest.mark.parametrize("raw", ["", "F", "FRA", "UK", "XX", "EU", "France", "12"])
def test_anything_but_an_assigned_iso_code_is_not_a_country(raw: str) -> None:
    with pytest.raises(InvalidCountry):
        normalise_country(raw)


def test_the_country_codes_match_the_tz_database_where_it_is_installed() -> None:
    table = Path("/usr/share/zoneinfo/iso3166.tab")
    if not table.exists():
        pytest.skip("no tz database on this machine")
    listed = {line.split()[0] for line in table.read_text().splitlines() if line[:1].isalpha()}
    assert listed == ISO_3166_ALPHA_2


def test_a_name_is_trimmed_and_its_spaces_collapsed() -> None:
    assert normalise_name("  Ada \t  Lovelace ") == "Ada Lovelace"


@pytest.mark.parametrize("raw", ["", "   ", "x" * 101])
def test_an_empty_or_long_name_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidName):
        normalise_name(raw)


def test_the_register_body_normalises_and_names_the_bad_fields() -> None:
    body = RegisterRequest.model_validate(
        {"email": " Ada@Example.com ", "password": "long enough 1", "name": " Ada "}
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


def test_the_register_body_says_plainly_what_is_wrong_with_the_password() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterRequest.model_validate(
            {"email": "ada.lovelace@example.com", "password": "ada.lovelace-1815", "name": "A"}
        )
    (error,) = caught.value.errors()
    assert (error["loc"], error["type"]) == (("password",), "weak_password")
    assert error["msg"] == "must not contain your email address or the name before its @"

    with pytest.raises(ValidationError) as caught:
        RegisterRequest.model_validate({"email": "bad", "password": "Password2024!", "name": "A"})
    assert {(e["loc"][0], e["type"]) for e in caught.value.errors()} == {
        ("email", "invalid_email"),
        ("password", "weak_password"),
    }
