"""How big a request may be, answered with problem documents rather than aiohttp's plain text.

aiohttp's parser refuses a request line or a header over 8190 bytes with a `text/plain` 400
before any middleware runs. A frontend (and the dev edge) therefore runs its parser with
`PARSER_LIMITS`, well above anything a proxy in front lets through (the ALB takes a 16 KiB
request line and 64 KiB of headers), and `request_limits` answers what is over our own, lower
limits with a problem document:

- URL (path and query) over `MAX_URL_BYTES`: 414 URI Too Long;
- a header over `MAX_HEADER_BYTES`, headers over `MAX_HEADERS_BYTES` in total or more than
  `MAX_HEADER_COUNT` of them: 431 Request Header Fields Too Large;
- a declared body over the app's `client_max_size`: 413 Content Too Large (bodies without a
  length are cut off by aiohttp at that size when read, also a 413).

Only what is over `PARSER_LIMITS` itself still gets aiohttp's plain 400 (and never reaches us
through an ALB or API Gateway).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ecommerce.platform.http.problems import problem_response

MAX_URL_BYTES = 8 * 1024
MAX_HEADER_BYTES = 8 * 1024
MAX_HEADERS_BYTES = 32 * 1024
MAX_HEADER_COUNT = 100
MAX_BODY_BYTES = 1024 * 1024
"""Any body, read or not (JSON bodies have a lower limit of their own, `requests`)."""

PARSER_LIMITS: dict[str, Any] = {
    "max_line_size": 256 * 1024,
    "max_field_size": 256 * 1024,
    "max_headers": 256,
}
"""Keyword arguments for `web.run_app` / `web.AppRunner`: the parser's own limits."""


def over_limit(request: web.Request) -> web.Response | None:
    """The problem answer for a request over a limit, or None."""
    url_bytes = len(request.raw_path.encode("utf-8", "surrogateescape"))
    if url_bytes > MAX_URL_BYTES:
        return _problem(
            request, 414, "URI Too Long", f"The URL is {url_bytes} bytes; at most {MAX_URL_BYTES}."
        )
    headers = request.raw_headers
    if len(headers) > MAX_HEADER_COUNT:
        return _problem(
            request,
            431,
            "Request Header Fields Too Large",
            f"{len(headers)} headers; at most {MAX_HEADER_COUNT}.",
        )
    total = 0
    for name, value in headers:
        size = len(name) + len(value)
        total += size
        if size > MAX_HEADER_BYTES:
            shown = name.decode("latin-1")[:64]
            return _problem(
                request,
                431,
                "Request Header Fields Too Large",
                f"The {shown} header is {size} bytes; at most {MAX_HEADER_BYTES}.",
            )
    if total > MAX_HEADERS_BYTES:
        return _problem(
            request,
            431,
            "Request Header Fields Too Large",
            f"The headers are {total} bytes; at most {MAX_HEADERS_BYTES} in all.",
        )
    length = request.content_length
    if length is not None and length > request.client_max_size:
        return _problem(
            request,
            413,
            "Content Too Large",
            f"The body is {length} bytes; at most {request.client_max_size}.",
        )
    return None


@web.middleware
async def request_limits(request: web.Request, handler: Handler) -> web.StreamResponse:
    refused = over_limit(request)
    if refused is not None:
        refused.force_close()  # the rest of an oversized request is not read
        return refused
    return await handler(request)


def _problem(request: web.Request, status: int, title: str, detail: str) -> web.Response:
    # The instance is the path alone, cut short: the URL may be what was too long.
    return problem_response(status, title, detail, instance=request.path[:256])
