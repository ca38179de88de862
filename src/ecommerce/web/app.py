"""The web frontend's app: pages, assets, the console's API, and the security headers."""

from __future__ import annotations

from aiohttp import web

from ecommerce.platform.config import Settings
from ecommerce.platform.http.app import create_app
from ecommerce.web import ops_api
from ecommerce.web.pages import add_pages
from ecommerce.web.security import headers_middleware, images_origin


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app.middlewares.insert(0, headers_middleware(images_origin()))
    app.cleanup_ctx.append(ops_api.upstream_session)
    add_pages(app)
    app.add_routes(ops_api.routes)
    return app
