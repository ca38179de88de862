"""The pages and their assets: the storefront at `/`, the console at `/ops`, files under
`/assets/`. Plain files from the package: nothing is built, nothing comes from elsewhere.

The console's page holds no data: everything it shows comes from `/ops/api/`, which refuses
anyone but an admin.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler

STATIC = Path(__file__).parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}


def _page(name: str) -> Handler:
    body = (STATIC / name).read_bytes()  # read once, when the app is built (before the loop)

    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8", headers=NO_CACHE)

    return serve


async def console_slash(_: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect("/ops")


def add_pages(app: web.Application) -> None:
    app.router.add_get("/", _page("index.html"))
    app.router.add_get("/ops", _page("ops.html"))
    app.router.add_get("/ops/", console_slash)
    app.router.add_static("/assets", STATIC / "assets", follow_symlinks=False)
