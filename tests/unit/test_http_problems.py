"""Framework errors (no route, wrong method) are problem documents too."""

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.platform.http.middlewares import problems, request_log


async def test_unknown_paths_and_methods_answer_problem_json() -> None:
    app = web.Application(middlewares=[request_log, problems])

    async def ok(_: web.Request) -> web.Response:
        return web.json_response({})

    app.router.add_get("/things", ok)
    async with TestClient(TestServer(app)) as client:
        missing = await client.get("/nope")
        assert (missing.status, missing.content_type) == (404, "application/problem+json")
        assert (await missing.json())["title"] == "Not Found"
        wrong = await client.post("/things")
        assert (wrong.status, wrong.content_type) == (405, "application/problem+json")
        assert "GET" in wrong.headers["Allow"]


async def test_a_dependency_down_is_a_503_problem_to_retry_not_a_500() -> None:
    app = web.Application(middlewares=[request_log, problems])

    async def database_gone(_: web.Request) -> web.Response:
        raise ConnectionResetError("the database closed the connection")

    async def bug(_: web.Request) -> web.Response:
        raise KeyError("a bug")

    app.router.add_get("/gone", database_gone)
    app.router.add_get("/bug", bug)
    async with TestClient(TestServer(app)) as client:
        gone = await client.get("/gone")
        assert (gone.status, gone.content_type) == (503, "application/problem+json")
        assert gone.headers["Retry-After"] == "1"
        broken = await client.get("/bug")
        assert broken.status == 500
