"""The users frontend, built by its real app factory, over HTTP against the AWS emulator."""

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.platform.config import Settings
from ecommerce.platform.http.auth import AUDIENCE, ISSUER
from ecommerce.platform.jwt_keys import public_keys
from ecommerce.users.api import build_app

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def client(provisioned: Any, redis_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = dataclasses.replace(Settings.from_env("users"), redis_url=redis_url)
    async with TestClient(TestServer(build_app(settings))) as client:
        yield client


def new_email() -> str:
    return f"Ada.{uuid.uuid4().hex[:10]}@Example.com"


async def register(
    client: TestClient[Any, Any], email: str, password: str = "correct horse"
) -> Any:
    response = await client.post(
        "/auth/register", json={"email": email, "password": password, "name": "Ada Lovelace"}
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def login(client: TestClient[Any, Any], email: str, password: str = "correct horse") -> str:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    assert response.status == 200, await response.text()
    return str((await response.json())["access_token"])


async def test_register_returns_the_user_without_its_password(client: TestClient[Any, Any]) -> None:
    email = new_email()
    user = await register(client, f"  {email} ")
    assert set(user) == {"id", "email", "name", "role", "addresses", "created_at"}
    assert user["addresses"] == []
    assert (user["email"], user["role"], user["name"]) == (
        email.lower(),
        "customer",
        "Ada Lovelace",
    )


async def test_an_email_registers_once_whatever_its_case(client: TestClient[Any, Any]) -> None:
    email = new_email()
    await register(client, email)
    response = await client.post(
        "/auth/register", json={"email": email.upper(), "password": "other password", "name": "X"}
    )
    assert response.status == 409
    assert response.content_type == PROBLEM
    assert (await response.json())["title"] == "Email already registered"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"email": "not-an-email", "password": "correct horse", "name": "Ada"}, {"email"}),
        ({"email": "ada@example.com", "password": "short", "name": "Ada"}, {"password"}),
        ({"email": "ada@example.com", "password": "correct horse", "name": " "}, {"name"}),
        ({"email": "ada@example.com", "password": "correct horse"}, {"name"}),
        (
            {"email": "ada@example.com", "password": "correct horse", "name": "A", "role": "admin"},
            {"role"},
        ),
        ({"email": 7, "password": ["x"], "name": None}, {"email", "password", "name"}),
        ([], {"body"}),
    ],
)
async def test_bad_registrations_are_422_problems_naming_the_fields(
    client: TestClient[Any, Any], body: Any, fields: set[str]
) -> None:
    response = await client.post("/auth/register", json=body)
    assert response.status == 422
    assert response.content_type == PROBLEM
    problem = await response.json()
    assert {error["field"] for error in problem["errors"]} == fields
    assert "correct horse" not in await response.text()


@pytest.mark.parametrize("path", ["/auth/register", "/auth/login"])
async def test_malformed_json_is_a_400_problem(client: TestClient[Any, Any], path: str) -> None:
    response = await client.post(
        path, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert response.content_type == PROBLEM


async def test_login_issues_a_token_the_published_keys_verify(client: TestClient[Any, Any]) -> None:
    email = new_email()
    user = await register(client, email)

    response = await client.post("/auth/login", json={"email": email, "password": "correct horse"})

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == Settings.from_env("users").access_token_ttl_seconds
    jwks = await (await client.get("/.well-known/jwks.json")).text()
    kid = jwt.get_unverified_header(body["access_token"])["kid"]
    claims = jwt.decode(
        body["access_token"],
        public_keys(jwks)[kid],
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
    )
    assert (claims["sub"], claims["email"], claims["role"]) == (
        user["id"],
        email.lower(),
        "customer",
    )
    assert claims["exp"] - claims["iat"] == body["expires_in"]


async def test_a_wrong_password_and_an_unknown_email_fail_alike(
    client: TestClient[Any, Any],
) -> None:
    email = new_email()
    await register(client, email)
    answers = []
    for attempt in (
        {"email": email, "password": "wrong password"},
        {"email": new_email(), "password": "correct horse"},
    ):
        response = await client.post("/auth/login", json=attempt)
        assert response.status == 401
        assert response.content_type == PROBLEM
        answers.append(await response.json())
    assert answers[0] == answers[1]


async def test_me_needs_a_valid_token_and_shows_the_caller(client: TestClient[Any, Any]) -> None:
    email = new_email()
    user = await register(client, email)
    token = await login(client, email)

    response = await client.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200
    assert await response.json() == user

    for headers in (
        {},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": f"Basic {token}"},
    ):
        response = await client.get("/users/me", headers=headers)
        assert response.status == 401
        assert response.content_type == PROBLEM


async def test_the_users_table_makes_the_service_ready(client: TestClient[Any, Any]) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert await response.json() == {"status": "ready"}


async def test_a_weak_password_is_a_422_saying_why(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/auth/register",
        json={"email": new_email(), "password": "Password2024!", "name": "Ada"},
    )
    assert response.status == 422
    assert response.content_type == PROBLEM
    (error,) = (await response.json())["errors"]
    assert error == {
        "field": "password",
        "message": "is too common: it is among the first passwords attackers try",
        "type": "weak_password",
    }
