"""/openapi.json and /docs as a running service serves them (the users service here)."""

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.platform.config import Settings
from ecommerce.platform.http.openapi import openapi_document
from ecommerce.users.api import build_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def client(provisioned: Any, redis_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = dataclasses.replace(Settings.from_env("users"), redis_url=redis_url)
    async with TestClient(TestServer(build_app(settings))) as client:
        yield client


@pytest.mark.parametrize("path", ["/openapi.json", "/openapi/users.json"])
async def test_the_document_is_served_as_json(client: TestClient[Any, Any], path: str) -> None:
    response = await client.get(path)

    assert response.status == 200
    assert response.content_type == "application/json"
    document = json.loads(await response.text())
    assert document == openapi_document(client.app)
    assert document["info"]["title"] == "ecommerce users API"
    assert {"/auth/register", "/auth/login", "/users/me", "/.well-known/jwks.json"} <= set(
        document["paths"]
    )


@pytest.mark.parametrize(
    ("path", "link"), [("/docs", "/openapi.json"), ("/docs/users", "/openapi/users.json")]
)
async def test_the_docs_page_is_html_needing_nothing_from_outside(
    client: TestClient[Any, Any], path: str, link: str
) -> None:
    response = await client.get(path)

    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    page = await response.text()
    assert "<h1>ecommerce users API</h1>" in page
    assert "<code>/users/me</code>" in page
    assert f'<a href="{link}">' in page
    assert 'id="schema-UpdateProfileRequest"' in page


async def test_only_the_service_own_docs_path_is_served(client: TestClient[Any, Any]) -> None:
    response = await client.get("/docs/orders")
    assert response.status == 404
