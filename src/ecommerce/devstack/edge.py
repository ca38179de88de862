"""The dev edge gateway: one port in front of every handler, routing by path prefix.

It does locally what API Gateway and the ALB do in AWS. Given a `Gateway` (as `ecommerce dev`
gives it), each request first meets API Gateway's route table (`ecommerce.gateway_routes`):
its throttling (429) and, on the authenticated routes, its JWT authorizer (401), with the
answers API Gateway writes (`devstack.gateway`). Then the longest matching prefix of
`ecommerce.edge_routes` picks the service, as the ALB's listener rules do, and the request goes
to that service's handler, bodies streamed both ways and headers passed on (Authorization,
Idempotency-Key, ...). A service that refuses connections is restarting (a rolling restart):
the request is sent again every 0.2 s for up to `RESTART_WAIT_SECONDS` (bodies up to 64 KiB
are held for that), and a kept-alive connection closed by a service shutting down is tried once
more for an idempotent request (GET, PUT, DELETE, or one with an Idempotency-Key). When it
cannot deliver, it answers with an RFC 9457 problem document: 404 for a path no service
serves, 503 for a service that is not running, 502 for a bad answer, 504 for a slow one. URL,
header and body limits are answered with problem documents too (`platform.http.limits`).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ecommerce.devstack.gateway import Gateway
from ecommerce.devstack.supervisor import Upstream
from ecommerce.edge_routes import EDGE_ROUTES, service_for
from ecommerce.gateway_routes import route_for
from ecommerce.platform.http.limits import MAX_BODY_BYTES, PARSER_LIMITS, request_limits

Resolve = Callable[[str], Upstream | None]

PROBLEM_JSON = "application/problem+json"
RESTART_WAIT_SECONDS = 30.0
"""How long a request waits for a service that refuses connections (restarting) before 503."""
RETRY_PAUSE_SECONDS = 0.2
REPLAYABLE_BODY_BYTES = 64 * 1024
"""Bodies up to this size are held, so that the request can be sent again; larger ones stream."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
UPSTREAM_HEADER = "X-Edge-Upstream"
CHUNK = 64 * 1024

# RFC 9110 §7.6.1: connection-specific headers a proxy must not forward.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)

_SESSION = web.AppKey("session", aiohttp.ClientSession)
_RESOLVE: web.AppKey[Resolve] = web.AppKey("resolve")
_GATEWAY = web.AppKey("gateway", Gateway)
_RESTART_WAIT = web.AppKey("restart_wait", float)


def problem(
    status: int, detail: str, *, instance: str | None = None, retry_after: int | None = None
) -> web.Response:
    """An RFC 9457 problem document (type about:blank, so the title is the status phrase)."""
    document: dict[str, object] = {
        "type": "about:blank",
        "title": _reason(status),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        document["instance"] = instance
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return web.Response(
        status=status, text=json.dumps(document), content_type=PROBLEM_JSON, headers=headers
    )


def forward_request_headers(
    headers: Mapping[str, str] | CIMultiDictProxy[str], *, peer: str | None, host: str, scheme: str
) -> CIMultiDict[str]:
    """The client's headers minus hop-by-hop ones, plus X-Forwarded-* (as an ALB adds)."""
    forwarded = CIMultiDict[str]()
    listed = _connection_listed(headers)
    for name, value in headers.items():
        if name.lower() not in HOP_BY_HOP and name.lower() not in listed:
            forwarded.add(name, value)
    if peer:
        previous = forwarded.get("X-Forwarded-For")
        forwarded["X-Forwarded-For"] = f"{previous}, {peer}" if previous else peer
    forwarded.setdefault("X-Forwarded-Host", host)
    forwarded.setdefault("X-Forwarded-Proto", scheme)
    forwarded.setdefault("X-Amzn-Trace-Id", _trace_id())
    return forwarded


def forward_response_headers(
    headers: Mapping[str, str] | CIMultiDictProxy[str],
) -> CIMultiDict[str]:
    forwarded = CIMultiDict[str]()
    listed = _connection_listed(headers)
    for name, value in headers.items():
        if name.lower() not in HOP_BY_HOP and name.lower() not in listed:
            forwarded.add(name, value)
    return forwarded


def create_edge_app(
    resolve: Resolve, gateway: Gateway | None = None, restart_wait: float = RESTART_WAIT_SECONDS
) -> web.Application:
    app = web.Application(middlewares=[request_limits], client_max_size=MAX_BODY_BYTES)
    app[_RESOLVE] = resolve
    app[_RESTART_WAIT] = restart_wait
    if gateway is not None:
        app[_GATEWAY] = gateway
    app.cleanup_ctx.append(_client_session)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_route("*", "/{tail:.*}", _proxy)
    return app


@dataclass
class EdgeServer:
    runner: web.AppRunner
    url: str

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_edge(
    resolve: Resolve,
    host: str,
    port: int,
    gateway: Gateway | None = None,
    restart_wait: float = RESTART_WAIT_SECONDS,
) -> EdgeServer:
    """Serve the edge on host:port; raises OSError if the port is taken. A gateway without an
    issuer gets the edge's own URL as its issuer."""
    runner = web.AppRunner(
        create_edge_app(resolve, gateway, restart_wait),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=2.0,
        **PARSER_LIMITS,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = runner.addresses[0][1] if runner.addresses else port  # port 0: the one we got
    url = f"http://{host}:{bound}"
    if gateway is not None and gateway.issuer is None:
        gateway.issuer = url
    return EdgeServer(runner, url)


async def _client_session(app: web.Application) -> AsyncIterator[None]:
    # One session for the edge's lifetime, created in the running loop, closed on cleanup.
    # Bodies pass through as they are: no decompression, no cookie handling.
    session = aiohttp.ClientSession(
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None, connect=5, sock_read=120),
        connector=aiohttp.TCPConnector(limit=200, force_close=False),
    )
    app[_SESSION] = session
    yield
    await session.close()


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "service": "edge"})


async def _readyz(request: web.Request) -> web.Response:
    """Each routed service with whether its handler is ready (`GET /readyz`) right now."""
    session = request.app[_SESSION]
    resolve = request.app[_RESOLVE]
    services = sorted({service for _, service in EDGE_ROUTES})

    async def check(service: str) -> str:
        upstream = resolve(service)
        if upstream is None:
            return "absent"
        if not upstream.running or upstream.url is None:
            return "down"
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with session.get(f"{upstream.url}/readyz", timeout=timeout) as response:
                return "up" if response.status == 200 else f"unhealthy ({response.status})"
        except (aiohttp.ClientError, TimeoutError):
            return "down"

    states = dict(zip(services, await asyncio.gather(*(check(s) for s in services)), strict=True))
    ready = all(state in ("up", "absent") for state in states.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "services": states},
        status=200 if ready else 503,
    )


async def _proxy(request: web.Request) -> web.StreamResponse:
    path = request.path
    if _GATEWAY in request.app:
        refused = await _gateway_refusal(request, request.app[_GATEWAY])
        if refused is not None:
            return refused
    service = service_for(path)
    if service is None:
        return problem(404, f"No service serves {path}.", instance=path)
    upstream = request.app[_RESOLVE](service)
    if upstream is None or upstream.url is None:
        return problem(
            503, f"The {service} service is not part of this stack (yet).", instance=path
        )
    if not upstream.running:
        return problem(
            503,
            f"The {service} service is restarting; retry shortly.",
            instance=path,
            retry_after=1,
        )
    # A body small enough to hold is read first, so that the request can be sent again.
    replayable = not request.body_exists or (
        request.content_length is not None and request.content_length <= REPLAYABLE_BODY_BYTES
    )
    body = await request.read() if replayable and request.body_exists else None
    deadline = asyncio.get_running_loop().time() + request.app[_RESTART_WAIT]
    disconnects = 0
    while True:
        try:
            return await _forward(request, upstream.url, service, body, replayable)
        except aiohttp.ClientConnectorError:
            # Nothing reached the service: it is starting or restarting (a rolling restart).
            if replayable and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
                continue
            return problem(
                503,
                f"The {service} service is not accepting connections (starting or restarting).",
                instance=path,
                retry_after=1,
            )
        except aiohttp.ServerDisconnectedError as error:
            # A kept-alive connection the service closed as it shut down: safe to send again
            # only if sending twice does no harm.
            if replayable and _idempotent(request) and disconnects < 1:
                disconnects += 1
                continue
            return problem(502, f"The {service} service failed to answer: {error}.", instance=path)
        except TimeoutError:
            return problem(504, f"The {service} service did not answer in time.", instance=path)
        except aiohttp.ClientError as error:
            return problem(502, f"The {service} service failed to answer: {error}.", instance=path)


class _Answered(Exception):
    """The answer had started when the connection failed: nothing more can be sent."""


async def _forward(
    request: web.Request, base_url: str, service: str, body: bytes | None, replayable: bool
) -> web.StreamResponse:
    session = request.app[_SESSION]
    headers = forward_request_headers(
        request.headers, peer=request.remote, host=request.host, scheme=request.scheme
    )
    data: bytes | AsyncIterator[bytes] | None = body
    if not replayable:
        data = request.content.iter_chunked(CHUNK)
    response: web.StreamResponse | None = None
    try:
        async with session.request(
            request.method,
            URL(base_url + request.raw_path, encoded=True),  # the path as the client sent it
            headers=headers,
            data=data,
            allow_redirects=False,
        ) as answer:
            response = web.StreamResponse(status=answer.status, reason=answer.reason)
            response.headers.extend(forward_response_headers(answer.headers))
            response.headers[UPSTREAM_HEADER] = service
            await response.prepare(request)
            async for chunk in answer.content.iter_chunked(CHUNK):
                await response.write(chunk)
            await response.write_eof()
            return response
    except (aiohttp.ClientError, TimeoutError) as error:
        if response is not None:
            raise _Answered from error
        raise


def _idempotent(request: web.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or "Idempotency-Key" in request.headers


async def _gateway_refusal(request: web.Request, gateway: Gateway) -> web.Response | None:
    """API Gateway's throttling, then its JWT authorizer on the authenticated routes."""
    route = route_for(request.method, request.path)
    throttled = gateway.throttled(route)
    if throttled is not None or not route.authorized:
        return throttled
    return await gateway.unauthorized(request.headers.get("Authorization"), request.app[_SESSION])


def _connection_listed(headers: Mapping[str, str] | CIMultiDictProxy[str]) -> set[str]:
    """Header names the Connection header declares hop-by-hop."""
    listed: set[str] = set()
    for value in headers.getall("Connection", []) if hasattr(headers, "getall") else []:
        listed.update(token.strip().lower() for token in value.split(",") if token.strip())
    return listed


def _trace_id() -> str:
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase
