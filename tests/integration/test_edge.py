"""The dev edge gateway in front of a real (in-process) upstream server, over real sockets."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from ecommerce.devstack.edge import EdgeServer, start_edge
from ecommerce.devstack.ports import free_port
from ecommerce.devstack.supervisor import Upstream

pytestmark = pytest.mark.integration


async def echo(request: web.Request) -> web.StreamResponse:
    """Tells what arrived: method, path with query, headers, and a digest of the body."""
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        digest.update(chunk)
        size += len(chunk)
    return web.json_response(
        {
            "method": request.method,
            "path_qs": request.raw_path,
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "size": size,
            "sha256": digest.hexdigest(),
        },
        status=201,
        headers={"Location": "/orders/42", "X-Custom": "yes"},
    )


async def gzipped(request: web.Request) -> web.Response:
    return web.Response(
        body=gzip.compress(b"compressed as sent"),
        headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
    )


async def streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for index in range(50):
        await response.write(f"line {index}\n".encode())
    await response.write_eof()
    return response


@dataclass
class Routes:
    table: dict[str, Upstream | None] = field(default_factory=dict)

    def resolve(self, service: str) -> Upstream | None:
        return self.table.get(service)


@pytest.fixture
async def upstream_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/orders/gzipped", gzipped)
    app.router.add_get("/orders/streamed", streamed)
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def routes(upstream_url: str) -> Routes:
    return Routes({"orders": Upstream(upstream_url, True), "users": Upstream(upstream_url, True)})


@pytest.fixture
async def edge(routes: Routes) -> AsyncIterator[EdgeServer]:
    server = await start_edge(routes.resolve, "127.0.0.1", free_port())
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


async def problem_of(response: aiohttp.ClientResponse) -> dict[str, object]:
    assert response.headers["Content-Type"].startswith("application/problem+json")
    document: dict[str, object] = json.loads(await response.read())
    assert document["status"] == response.status
    assert document["type"] == "about:blank"
    assert isinstance(document["title"], str) and document["title"]
    return document


async def test_edge_has_its_own_health(edge: EdgeServer, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{edge.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


async def test_a_request_passes_through_with_its_headers_and_body(
    edge: EdgeServer, http: aiohttp.ClientSession
) -> None:
    body = bytes(range(256)) * 8192  # 2 MiB, sent chunked
    headers = {
        "Authorization": "Bearer token-123",
        "Idempotency-Key": "key-1",
        "Content-Type": "application/octet-stream",
        "X-Forwarded-For": "203.0.113.9",
    }

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    url = URL(f"{edge.url}/orders/a%2Fb?x=1&y=%2F", encoded=True)
    async with http.post(url, data=chunks(), headers=headers) as response:
        assert response.status == 201
        assert response.headers["Location"] == "/orders/42"
        assert response.headers["X-Custom"] == "yes"
        assert response.headers["X-Edge-Upstream"] == "orders"
        seen = await response.json()
    assert seen["method"] == "POST"
    assert seen["path_qs"] == "/orders/a%2Fb?x=1&y=%2F"
    assert seen["size"] == len(body)
    assert seen["sha256"] == hashlib.sha256(body).hexdigest()
    assert seen["headers"]["authorization"] == "Bearer token-123"
    assert seen["headers"]["idempotency-key"] == "key-1"
    assert seen["headers"]["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "http"
    assert seen["headers"]["x-amzn-trace-id"].startswith("Root=1-")


async def test_hop_by_hop_headers_stay_behind(
    edge: EdgeServer, http: aiohttp.ClientSession
) -> None:
    headers = {"Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1", "TE": "trailers"}
    async with http.get(f"{edge.url}/users/me", headers=headers) as response:
        seen = await response.json()
    assert "x-secret-hop" not in seen["headers"]
    assert "te" not in seen["headers"]


async def test_bodies_pass_unchanged_and_streamed(
    edge: EdgeServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{edge.url}/orders/gzipped") as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await response.read()) == b"compressed as sent"
    async with http.get(f"{edge.url}/orders/streamed") as response:
        text = (await response.read()).decode()
    assert text.splitlines() == [f"line {index}" for index in range(50)]


async def test_the_longest_prefix_picks_the_service(
    edge: EdgeServer, routes: Routes, http: aiohttp.ClientSession, upstream_url: str
) -> None:
    routes.table["cart"] = Upstream(upstream_url, True)
    async with http.get(f"{edge.url}/cart/items") as response:
        assert response.headers["X-Edge-Upstream"] == "cart"
    async with http.get(f"{edge.url}/cartography") as response:
        assert response.status == 404


async def test_an_unknown_prefix_is_a_404_problem(
    edge: EdgeServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{edge.url}/nowhere/else") as response:
        assert response.status == 404
        problem = await problem_of(response)
        assert problem["instance"] == "/nowhere/else"


@pytest.mark.parametrize(
    ("upstream", "expected"),
    [
        (None, 503),  # not part of this stack
        (Upstream(None, False), 503),  # not started yet
        (Upstream("http://127.0.0.1:9", False), 503),  # restarting
    ],
)
async def test_a_service_that_is_not_running_is_a_503_problem(
    edge: EdgeServer,
    routes: Routes,
    http: aiohttp.ClientSession,
    upstream: Upstream | None,
    expected: int,
) -> None:
    routes.table["orders"] = upstream
    async with http.post(f"{edge.url}/orders", json={}) as response:
        assert response.status == expected
        problem = await problem_of(response)
        assert "orders" in str(problem["detail"])


async def test_a_backend_refusing_connections_is_a_503_problem_to_retry(
    routes: Routes, http: aiohttp.ClientSession
) -> None:
    routes.table["orders"] = Upstream(f"http://127.0.0.1:{free_port()}", True)
    edge = await start_edge(routes.resolve, "127.0.0.1", free_port(), restart_wait=0.5)
    try:
        async with http.get(f"{edge.url}/orders") as response:
            assert response.status == 503
            assert response.headers["Retry-After"] == "1"
            await problem_of(response)
    finally:
        await edge.stop()


async def test_a_request_waits_for_a_backend_that_is_restarting(
    edge: EdgeServer, routes: Routes, http: aiohttp.ClientSession
) -> None:
    """A rolling restart: the port refuses connections for a moment, then answers."""
    port = free_port()
    routes.table["orders"] = Upstream(f"http://127.0.0.1:{port}", True)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()

    async def start_late() -> None:
        await asyncio.sleep(1.0)
        await web.TCPSite(runner, "127.0.0.1", port).start()

    late = asyncio.create_task(start_late())
    try:
        headers = {"Idempotency-Key": "k-1"}
        async with http.post(f"{edge.url}/orders", json={"a": 1}, headers=headers) as response:
            assert response.status == 201, await response.text()
            seen = await response.json()
        assert seen["method"] == "POST"
        assert seen["size"] == len(b'{"a": 1}')
    finally:
        await late
        await runner.cleanup()


async def test_a_backend_that_breaks_the_protocol_is_a_502_problem(
    edge: EdgeServer, routes: Routes, http: aiohttp.ClientSession
) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"this is not HTTP\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    routes.table["orders"] = Upstream(f"http://127.0.0.1:{port}", True)
    try:
        async with http.get(f"{edge.url}/orders") as response:
            assert response.status == 502
            await problem_of(response)
    finally:
        server.close()
        await server.wait_closed()


async def test_readyz_reports_each_routed_service(
    edge: EdgeServer, routes: Routes, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{edge.url}/readyz") as response:
        # The echo upstream answers /readyz with 201: up but not ready.
        states = (await response.json())["services"]
        assert response.status == 503
    assert states["cart"] == "absent"
    assert states["orders"].startswith("unhealthy")
    routes.table["orders"] = Upstream(None, False)
    routes.table["users"] = None
    async with http.get(f"{edge.url}/readyz") as response:
        states = (await response.json())["services"]
    assert states["orders"] == "down"
    assert states["users"] == "absent"


async def test_port_zero_picks_a_free_port(routes: Routes) -> None:
    server = await start_edge(routes.resolve, "127.0.0.1", 0)
    try:
        assert not server.url.endswith(":0")
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{server.url}/healthz") as response,
        ):
            assert response.status == 200
    finally:
        await server.stop()


async def test_a_long_query_string_is_a_problem_at_the_edge(
    edge: EdgeServer, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{edge.url}/orders?q={'a' * 10_000}") as response:
        assert response.status == 414
        await problem_of(response)


async def test_a_huge_header_is_a_problem_at_the_edge(
    edge: EdgeServer, http: aiohttp.ClientSession
) -> None:
    headers = {"Idempotency-Key": "k" * 100_000}
    async with http.post(f"{edge.url}/orders", json={}, headers=headers) as response:
        assert response.status == 431
        assert "Idempotency-Key" in str((await problem_of(response))["detail"])
