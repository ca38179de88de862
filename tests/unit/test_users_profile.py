"""The PATCH /users/me body: partial, normalised, and precise about what is wrong."""

from typing import Any
from unittest import mock

import pytest
from aiohttp.test_utils import make_mocked_request
from pydantic import ValidationError

from ecommerce.users.api import client_address
from ecommerce.users.domain import Address, ProfileChanges
from ecommerce.users.schemas import UpdateProfileRequest

HOME = {"line1": "12 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}


def errors_of(body: Any) -> set[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        UpdateProfileRequest.model_validate(body)
    return {(tuple(error["loc"]), error["type"]) for error in caught.value.errors()}


def test_only_the_fields_sent_change() -> None:
    assert UpdateProfileRequest.model_validate({}).to_changes() == ProfileChanges()
    assert UpdateProfileRequest.model_validate({"name": "  Ada   King "}).to_changes() == (
        ProfileChanges(name="Ada King")
    )
    assert UpdateProfileRequest.model_validate({"addresses": []}).to_changes() == (
        ProfileChanges(addresses=())
    )


def test_addresses_are_trimmed_and_their_country_upper_cased() -> None:
    body = {
        "addresses": [
            {**HOME, "country": " fr ", "label": " home ", "line2": "  "},
            {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        ]
    }
    changes = UpdateProfileRequest.model_validate(body).to_changes()
    assert changes.addresses == (
        Address(
            line1="12 Rue de Rivoli", city="Paris", postal_code="75001", country="FR", label="home"
        ),
        Address(line1="1 Main St", city="Springfield", postal_code="12345", country="US"),
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": None}, {(("name",), "null_value")}),
        ({"addresses": None}, {(("addresses",), "null_value")}),
        ({"name": "  "}, {(("name",), "invalid_name")}),
        ({"addresses": [HOME] * 6}, {(("addresses",), "too_long")}),
        (
            {"addresses": [{**HOME, "country": "XX"}]},
            {(("addresses", 0, "country"), "invalid_country")},
        ),
        (
            {"addresses": [{**HOME, "country": "FRA"}]},
            {(("addresses", 0, "country"), "string_too_long")},
        ),
        (
            {"addresses": [HOME, {"city": "Paris", "postal_code": "", "country": "FR"}]},
            {
                (("addresses", 1, "line1"), "missing"),
                (("addresses", 1, "postal_code"), "string_too_short"),
            },
        ),
        ({"addresses": [{**HOME, "floor": 3}]}, {(("addresses", 0, "floor"), "extra_forbidden")}),
        ({"email": "new@example.com"}, {(("email",), "extra_forbidden")}),
        ({"role": "admin"}, {(("role",), "extra_forbidden")}),
        ({"addresses": "12 Rue de Rivoli"}, {(("addresses",), "list_type")}),
    ],
)
def test_bad_changes_name_each_bad_field(
    body: Any, expected: set[tuple[tuple[str | int, ...], str]]
) -> None:
    assert errors_of(body) == expected


def test_a_null_address_list_says_how_to_remove_them() -> None:
    with pytest.raises(ValidationError) as caught:
        UpdateProfileRequest.model_validate({"addresses": None})
    assert "use [] to remove every address" in caught.value.errors()[0]["msg"]


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        (None, "127.0.0.1"),
        ("203.0.113.7", "203.0.113.7"),
        ("198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client's own entry is not trusted
        ("  2001:db8::1 ", "2001:db8::1"),
        ("not-an-address", "127.0.0.1"),
        ("", "127.0.0.1"),
    ],
)
def test_the_client_is_the_address_the_edge_appended(forwarded: str | None, expected: str) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    peer = mock.Mock()
    peer.get_extra_info.return_value = ("127.0.0.1", 50000)
    request = make_mocked_request("POST", "/auth/login", headers=headers, transport=peer)
    assert client_address(request) == expected
