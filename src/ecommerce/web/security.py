"""Security headers on every answer of the web frontend.

The Content-Security-Policy admits scripts and styles from this origin only (no inline script,
no eval), fetches to this origin only, and images from this origin and from where product
images are served (S3, or the emulator's endpoint in the local stack).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from yarl import URL

IMAGES_ORIGIN_ENV = "WEB_IMAGES_ORIGIN"
"""Where product images are served from, when not S3's own hosts or the S3 endpoint set."""
S3_ORIGINS = "https://*.amazonaws.com"


def images_origin(environ: Mapping[str, str] | None = None) -> str:
    """The origin presigned image URLs point at: the one configured, else the S3 endpoint the
    SDK is pointed at (the emulator in the local stack), else S3's hosts."""
    env = os.environ if environ is None else environ
    for name in (IMAGES_ORIGIN_ENV, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        value = env.get(name, "").strip()
        if value:
            url = URL(value)
            return str(url.origin()) if url.is_absolute() else value
    return S3_ORIGINS


def content_security_policy(image_origin: str) -> str:
    directives = {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: blob: {image_origin}",
        "connect-src": "'self'",
        "font-src": "'self'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(image_origin: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(image_origin),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    }


def headers_middleware(image_origin: str) -> Middleware:
    """Put outermost: problem documents and errors get the headers too."""
    headers = security_headers(image_origin)

    @web.middleware
    async def add_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            error.headers.update(headers)
            raise
        response.headers.update(headers)
        return response

    return add_headers
