"""Hostile requests get problem documents: deep JSON, long URLs, huge headers and bodies.

The app is served with the frontends' own parser limits (`PARSER_LIMITS`), as `serve` and the
dev edge run it, so what aiohttp would refuse in text/plain reaches the limits middleware.
"""

import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import BaseModel

from ecommerce.platform.http.limits import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    MAX_URL_BYTES,
    PARSER_LIMITS,
    request_limits,
)
from ecommerce.platform.http.middlewares import problems, request_log
from ecommerce.platform.http.requests import read_json
from ecommerce.platform.json_text import NotJson, parse_json

PROBLEM = "application/problem+json"


class Thing(BaseModel):
    name: str


async def _create(request: web.Request) -> web.Response:
    thing = await read_json(request, Thing)
    return web.json_response({"name": thing.name}, status=201)


async def _list(_: web.Request) -> web.Response:
    return web.json_response({"items": []})


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    app = web.Application(
        middlewares=[request_log, request_limits, problems], client_max_size=MAX_BODY_BYTES
    )
    app.router.add_post("/things", _create)
    app.router.add_get("/things", _list)
    server = TestServer(app)
    await server.start_server(**PARSER_LIMITS)
    async with TestClient(server) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20_000,
        b'{"a":' * 10_000,
        b"\xff\xfe\xfa",
        b'{"name": "x"',
        b"\x00",
        b'"\\ud800"',
    ],
    ids=["deep-array", "deep-object", "not-utf8", "truncated", "nul", "lone-surrogate"],
)
async def test_any_unreadable_json_body_is_a_400_problem(
    client: TestClient[web.Request, web.Application], body: bytes
) -> None:
    answer = await client.post(
        "/things", data=io.BytesIO(body), headers={"Content-Type": "application/json"}
    )
    assert answer.status in (400, 422), await answer.text()
    assert answer.content_type == PROBLEM


async def test_a_deeply_nested_body_says_malformed_json(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.post("/things", data=io.BytesIO(b"[" * 20_000))
    assert answer.status == 400
    assert (await answer.json())["title"] == "Malformed JSON"


async def test_a_long_query_string_is_a_414_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.get("/things?q=" + "a" * 10_000)
    assert (answer.status, answer.content_type) == (414, PROBLEM)
    assert str(MAX_URL_BYTES) in (await answer.json())["detail"]


async def test_a_huge_header_is_a_431_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.post(
        "/things", json={"name": "x"}, headers={"Idempotency-Key": "k" * 100_000}
    )
    assert (answer.status, answer.content_type) == (431, PROBLEM)
    assert "Idempotency-Key" in (await answer.json())["detail"]


async def test_many_headers_are_a_431_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    headers = {f"X-Filler-{n}": "v" * 300 for n in range(150)}
    answer = await client.get("/things", headers=headers)
    assert (answer.status, answer.content_type) == (431, PROBLEM)


async def test_a_header_just_under_the_limit_passes(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.get("/things", headers={"X-Note": "n" * (MAX_HEADER_BYTES - 100)})
    assert answer.status == 200


async def test_a_body_over_the_limit_is_a_413_problem(
    client: TestClient[web.Request, web.Application],
) -> None:
    answer = await client.post("/things", data=io.BytesIO(b"x" * (MAX_BODY_BYTES + 1)))
    assert (answer.status, answer.content_type) == (413, PROBLEM)


def test_parse_json_turns_every_failure_into_not_json() -> None:
    for text in ("[" * 100_000, b"\xff", "{", ""):
        with pytest.raises(NotJson):
            parse_json(text)
    assert parse_json('{"a": [1]}') == {"a": [1]}
