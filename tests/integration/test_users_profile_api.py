"""GET and PATCH /users/me over HTTP against DynamoDB (the AWS emulator)."""

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.platform.config import Settings
from ecommerce.users.api import build_app

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"
HOME = {"line1": "12 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "fr"}
WORK = {
    "label": "work",
    "line1": "1 Infinite Loop",
    "line2": "Building 4",
    "city": "Cupertino",
    "postal_code": "95014",
    "country": "US",
}


@pytest.fixture(scope="module")
async def client(provisioned: Any, redis_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = dataclasses.replace(Settings.from_env("users"), redis_url=redis_url)
    async with TestClient(TestServer(build_app(settings))) as client:
        yield client


@pytest.fixture
async def auth(client: TestClient[Any, Any]) -> dict[str, str]:
    email = f"ada-{uuid.uuid4().hex[:10]}@example.com"
    credentials = {"email": email, "password": "correct horse"}
    response = await client.post("/auth/register", json={**credentials, "name": "Ada"})
    assert response.status == 201
    response = await client.post("/auth/login", json=credentials)
    assert response.status == 200
    return {"Authorization": f"Bearer {(await response.json())['access_token']}"}


async def patch(
    client: TestClient[Any, Any], auth: dict[str, str], body: Any, **headers: str
) -> tuple[int, Any]:
    response = await client.patch("/users/me", json=body, headers={**auth, **headers})
    return response.status, await response.json()


async def test_a_patch_changes_only_the_fields_sent(
    client: TestClient[Any, Any], auth: dict[str, str]
) -> None:
    status, user = await patch(client, auth, {"addresses": [HOME, WORK]})
    assert status == 200
    assert user["name"] == "Ada"
    assert user["addresses"] == [
        {**HOME, "country": "FR", "label": None, "line2": None},
        WORK,
    ]

    status, user = await patch(client, auth, {"name": "  Ada   King "})
    assert status == 200
    assert user["name"] == "Ada King"
    assert [address["city"] for address in user["addresses"]] == ["Paris", "Cupertino"]

    response = await client.get("/users/me", headers=auth)
    assert await response.json() == user

    status, user = await patch(client, auth, {"addresses": []})
    assert (status, user["name"], user["addresses"]) == (200, "Ada King", [])


async def test_a_bad_patch_is_a_422_naming_each_field_and_changes_nothing(
    client: TestClient[Any, Any], auth: dict[str, str]
) -> None:
    before = await (await client.get("/users/me", headers=auth)).json()
    body = {
        "name": "",
        "addresses": [HOME, {**HOME, "country": "ZZ"}, {"line1": "x", "city": "y"}],
        "email": "other@example.com",
    }

    response = await client.patch("/users/me", json=body, headers=auth)

    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert {(error["field"], error["type"]) for error in problem["errors"]} == {
        ("name", "invalid_name"),
        ("addresses.1.country", "invalid_country"),
        ("addresses.2.postal_code", "missing"),
        ("addresses.2.country", "missing"),
        ("email", "extra_forbidden"),
    }
    country = next(e for e in problem["errors"] if e["field"] == "addresses.1.country")
    assert country["message"] == "must be an ISO 3166-1 alpha-2 country code, such as FR or US"
    assert await (await client.get("/users/me", headers=auth)).json() == before


@pytest.mark.parametrize(
    "body",
    [{"addresses": [HOME] * 6}, {"name": None}, {"addresses": None}, [], "Ada", {"name": 7}],
)
async def test_other_bad_bodies_are_422s(
    client: TestClient[Any, Any], auth: dict[str, str], body: Any
) -> None:
    status, problem = await patch(client, auth, body)
    assert status == 422
    assert problem["errors"]


async def test_malformed_json_is_a_400(client: TestClient[Any, Any], auth: dict[str, str]) -> None:
    response = await client.patch(
        "/users/me", data=b"{", headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status == 400
    assert response.content_type == PROBLEM


async def test_the_profile_needs_a_token(client: TestClient[Any, Any]) -> None:
    for method in ("GET", "PATCH"):
        response = await client.request(method, "/users/me", json={"name": "Mallory"})
        assert response.status == 401
        assert response.content_type == PROBLEM


async def test_concurrent_patches_of_different_fields_all_land(
    client: TestClient[Any, Any], auth: dict[str, str]
) -> None:
    for round_ in range(5):
        name = f"Ada {round_}"
        address = {**HOME, "line1": f"{round_} Rue de Rivoli"}
        results = await asyncio.gather(
            patch(client, auth, {"name": name}),
            patch(client, auth, {"addresses": [address]}),
        )
        assert [status for status, _ in results] == [200, 200]
        user = await (await client.get("/users/me", headers=auth)).json()
        assert (user["name"], user["addresses"][0]["line1"]) == (name, address["line1"])


async def test_if_match_makes_a_change_depend_on_the_version_read(
    client: TestClient[Any, Any], auth: dict[str, str]
) -> None:
    read = await client.get("/users/me", headers=auth)
    etag = read.headers["ETag"]

    status, _ = await patch(client, auth, {"name": "First"}, **{"If-Match": etag})
    assert status == 200

    response = await client.patch(
        "/users/me", json={"name": "Second"}, headers={**auth, "If-Match": etag}
    )
    assert response.status == 412
    assert response.content_type == PROBLEM
    assert response.headers["ETag"] != etag
    # Not an ETag of a read (a weak one, other digits, too many for a version): never matches.
    for other in ("not-a-tag", 'W/"v1"', '"v1x"', f'"v{"9" * 5000}"'):
        status, _ = await patch(client, auth, {"name": "Second"}, **{"If-Match": other})
        assert status == 412, other
    user = await (await client.get("/users/me", headers=auth)).json()
    assert user["name"] == "First"

    status, user = await patch(
        client, auth, {"name": "Second"}, **{"If-Match": response.headers["ETag"]}
    )
    assert (status, user["name"]) == (200, "Second")
