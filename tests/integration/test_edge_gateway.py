"""The local edge answers as API Gateway does: 401 `{"message":"Unauthorized"}` on an
authenticated route without a valid token (keys from the issuer's OpenID discovery, fetched
through the edge itself as in `ecommerce dev`), and 429 with Retry-After past a route's rate."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from ecommerce.devstack.edge import EdgeServer, start_edge
from ecommerce.devstack.gateway import Gateway
from ecommerce.devstack.ports import free_port
from ecommerce.devstack.supervisor import Upstream
from ecommerce.gateway_routes import SIGN_IN
from ecommerce.platform.http.auth import AUDIENCE
from ecommerce.platform.jwt_keys import current_signing_key, generate_key_set
from ecommerce.users.domain import User
from ecommerce.users.tokens import TokenIssuer

pytestmark = pytest.mark.integration

SIGNING, JWKS = generate_key_set()
ADA = User(
    id="u-1",
    email="ada@example.com",
    name="Ada",
    role="customer",
    password_hash="$argon2id$...",
    created_at="2025-01-01T00:00:00+00:00",
)


@pytest.fixture
async def upstream_url() -> AsyncIterator[str]:
    """The users service's discovery and JWKS, and an echo for everything else."""

    async def discovery(request: web.Request) -> web.Response:
        base = f"http://{request.headers['X-Forwarded-Host']}"
        return web.json_response({"issuer": base, "jwks_uri": f"{base}/.well-known/jwks.json"})

    async def jwks(_: web.Request) -> web.Response:
        return web.Response(text=JWKS, content_type="application/json")

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"path": request.path})

    app = web.Application()
    app.router.add_get("/.well-known/openid-configuration", discovery)
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def edge(upstream_url: str) -> AsyncIterator[EdgeServer]:
    services = {name: Upstream(upstream_url, True) for name in ("users", "orders", "catalog")}
    # A clock that stands still: a bucket empties and stays empty, whatever the machine's speed.
    gateway = Gateway(audience=AUDIENCE, clock=lambda: 0.0)
    server = await start_edge(services.get, "127.0.0.1", free_port(), gateway)
    yield server
    await server.stop()


def token(edge: EdgeServer, when: datetime | None = None) -> str:
    issuer = TokenIssuer(current_signing_key(SIGNING), 60, edge.url)
    return issuer.issue(ADA, when or datetime.now(UTC)).token


async def test_a_valid_token_passes_and_public_routes_need_none(edge: EdgeServer) -> None:
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {token(edge)}"}
        async with http.get(f"{edge.url}/orders/o-1", headers=headers) as response:
            assert response.status == 200
            assert await response.json() == {"path": "/orders/o-1"}
        async with http.get(f"{edge.url}/products/p-1") as response:
            assert response.status == 200


@pytest.mark.parametrize("kind", ["missing", "garbage", "expired", "other issuer"])
async def test_a_bad_token_gets_api_gateways_401(edge: EdgeServer, kind: str) -> None:
    headers = {
        "missing": {},
        "garbage": {"Authorization": "Bearer nope"},
        "expired": {"Authorization": f"Bearer {token(edge, datetime(2020, 1, 1, tzinfo=UTC))}"},
        "other issuer": {
            "Authorization": "Bearer "
            + TokenIssuer(current_signing_key(SIGNING), 60, "https://elsewhere.example.com")
            .issue(ADA, datetime.now(UTC))
            .token
        },
    }[kind]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{edge.url}/users/me", headers=headers) as response,
    ):
        assert response.status == 401
        assert response.content_type == "application/json"
        assert json.loads(await response.read()) == {"message": "Unauthorized"}
        challenge = response.headers.get("www-authenticate", "")
        if kind != "missing":
            assert challenge.startswith('Bearer scope="" error="invalid_token"'), challenge


async def test_past_its_rate_a_route_gets_429_with_retry_after(edge: EdgeServer) -> None:
    answers = []
    async with aiohttp.ClientSession() as http:
        for _ in range(SIGN_IN.burst_limit + 5):
            async with http.post(f"{edge.url}/auth/login", json={}) as response:
                answers.append(
                    (response.status, response.headers.get("Retry-After"), await response.read())
                )
        # Another route has its own bucket.
        async with http.get(f"{edge.url}/products") as response:
            assert response.status == 200
    statuses = [status for status, _, _ in answers]
    assert statuses == [200] * SIGN_IN.burst_limit + [429] * 5
    for _, retry_after, body in answers[SIGN_IN.burst_limit :]:
        assert retry_after is not None and int(retry_after) >= 1
        assert json.loads(body) == {"message": "Too Many Requests"}
