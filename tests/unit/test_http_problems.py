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
