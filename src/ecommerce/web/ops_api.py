"""The console's JSON API under `/ops/api/`: admins only, checked here on every request.

- `GET /ops/api/queues`: every declared queue with its depth, in-flight count and its DLQ's;
- `GET /ops/api/dlq/{queue}`: the DLQ's messages (body, attributes, why they failed), peeked
  and handed back;
- `POST /ops/api/dlq/{queue}/redrive`: move them back to the source queue;
- `GET /ops/api/orders/{order_id}/timeline`: the order's state changes (from the orders
  service, with the caller's token) and, where the local X-Ray stand-in's segments are
  readable, the spans of its trace, in time order;
- `POST /ops/api/products/{product_id}/images`: an image file (multipart `file`), handed to
  S3 through the catalog's presigned form, so the browser talks to this origin only.

Tokens arrive as `Authorization: Bearer`, never in a cookie, so a cross-site request carries no
credential and needs no CSRF token.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from ecommerce.ops.dlq import (
    UnknownQueue,
    find_declared,
    peek,
    queue_depth,
    redrive,
    resolve_pair,
)
from ecommerce.ops.traces import (
    TRACE_SEGMENTS_ENV,
    build_trees,
    order_trace_ids,
    read_segments,
)
from ecommerce.platform.http.app import AWS, SETTINGS
from ecommerce.platform.http.auth import require_admin
from ecommerce.platform.http.problems import ProblemError
from ecommerce.resources import RESOURCES
from ecommerce.web.timeline import TimelineEntry, order_entries, span_entries

MAX_IMAGE_BYTES = 10 * 1024 * 1024
NO_STORE = {"Cache-Control": "no-store"}

UPSTREAM = web.AppKey("ops_upstream", aiohttp.ClientSession)
routes = web.RouteTableDef()


@routes.get("/ops/api/me")
async def whoami(request: web.Request) -> web.Response:
    principal = require_admin(request)
    return _json({"email": principal.email, "role": principal.role})


@routes.get("/ops/api/queues")
async def queues(request: web.Request) -> web.Response:
    require_admin(request)
    sqs = await request.app[AWS].client("sqs")

    async def row(name: str) -> dict[str, Any]:
        pair = await resolve_pair(sqs, find_declared(name))
        source, dlq = await asyncio.gather(
            queue_depth(sqs, pair.source_url), queue_depth(sqs, pair.dlq_url)
        )
        return {
            "queue": pair.name,
            "name": pair.source_name,
            "visible": source.visible,
            "in_flight": source.in_flight,
            "dlq": {"name": pair.dlq_name, "visible": dlq.visible, "in_flight": dlq.in_flight},
            "max_receive_count": pair.max_receive_count,
        }

    rows = await asyncio.gather(*(row(queue.name) for queue in RESOURCES.queues))
    return _json({"items": list(rows)})


@routes.get("/ops/api/dlq/{queue}")
async def dead_letters(request: web.Request) -> web.Response:
    require_admin(request)
    sqs = await request.app[AWS].client("sqs")
    pair = await resolve_pair(sqs, _declared(request.match_info["queue"]))
    messages = await peek(sqs, pair.dlq_url, limit=10)
    return _json(
        {"queue": pair.name, "dlq": pair.dlq_name, "items": [m.as_dict() for m in messages]}
    )


@routes.post("/ops/api/dlq/{queue}/redrive")
async def redrive_queue(request: web.Request) -> web.Response:
    require_admin(request)
    sqs = await request.app[AWS].client("sqs")
    pair = await resolve_pair(sqs, _declared(request.match_info["queue"]))
    result = await redrive(sqs, pair, max_wait_seconds=60.0)
    return _json(
        {
            "queue": pair.name,
            "method": result.method,
            "moved": result.moved,
            "failed": result.failed,
            "undeleted": result.undeleted,
            "note": result.note,
        }
    )


@routes.get("/ops/api/orders/{order_id}/timeline")
async def timeline(request: web.Request) -> web.Response:
    require_admin(request)
    order_id = request.match_info["order_id"]
    order = await _upstream_json(
        request, "GET", f"{request.app[SETTINGS].orders_url}/orders/{order_id}"
    )
    entries: list[TimelineEntry] = order_entries(order)
    segments = os.environ.get(TRACE_SEGMENTS_ENV, "").strip()
    if segments:
        entries += await asyncio.to_thread(_trace_entries, Path(segments), order_id)
    entries.sort(key=lambda entry: entry.at)
    return _json({"order": order, "items": [entry.as_dict() for entry in entries]})


@routes.post("/ops/api/products/{product_id}/images")
async def upload_image(request: web.Request) -> web.Response:
    require_admin(request)
    data, content_type, filename = await _read_file(request)
    product_id = request.match_info["product_id"]
    form = await _upstream_json(
        request,
        "POST",
        f"{request.app[SETTINGS].catalog_url}/products/{product_id}/images",
        json={"content_type": content_type},
    )
    post = aiohttp.FormData()
    for name, value in form["fields"].items():
        post.add_field(name, value)
    post.add_field("file", data, filename=filename, content_type=content_type)
    async with request.app[UPSTREAM].post(form["url"], data=post) as answer:
        if answer.status >= 300:
            detail = (await answer.text())[:500]
            raise ProblemError(502, "Upload refused", f"S3 answered {answer.status}: {detail}")
    return _json({"upload_id": form["upload_id"], "product_id": product_id}, status=201)


def _declared(name: str) -> Any:
    try:
        return find_declared(name)
    except UnknownQueue as error:
        raise ProblemError(404, "No such queue", str(error)) from error


def _trace_entries(path: Path, order_id: str) -> list[TimelineEntry]:
    documents = read_segments(path)
    return span_entries(build_trees(documents, order_trace_ids(documents, order_id)))


async def _read_file(request: web.Request) -> tuple[bytes, str, str]:
    if not request.content_type.startswith("multipart/"):
        raise ProblemError(415, "Unsupported Media Type", "Send the image as multipart `file`.")
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, aiohttp.BodyPartReader) and part.name == "file":
            data = bytes(await part.read())
            if len(data) > MAX_IMAGE_BYTES:
                raise ProblemError(413, "Too large", f"At most {MAX_IMAGE_BYTES} bytes.")
            kind = part.headers.get("Content-Type", "")
            if kind not in ("image/jpeg", "image/png", "image/webp"):
                raise ProblemError(415, "Unsupported Media Type", "JPEG, PNG or WEBP only.")
            return data, kind, part.filename or "image"
    raise ProblemError(422, "No file", "The form has no `file` part.")


async def _upstream_json(
    request: web.Request, method: str, url: str, json: object | None = None
) -> Any:
    """Call another service with the caller's own token; its problem comes back as is."""
    headers = {"Authorization": request.headers.get("Authorization", "")}
    try:
        async with request.app[UPSTREAM].request(method, url, headers=headers, json=json) as answer:
            body = await answer.json(content_type=None)
            if answer.status >= 400:
                detail = body.get("detail") if isinstance(body, dict) else None
                title = body.get("title") if isinstance(body, dict) else None
                raise ProblemError(answer.status, str(title or answer.reason), detail)
            return body
    except (aiohttp.ClientError, TimeoutError) as error:
        raise ProblemError(503, "Service Unavailable", f"{url}: {error!r}") from error


def _json(document: object, status: int = 200) -> web.Response:
    return web.json_response(document, status=status, headers=NO_STORE)


async def upstream_session(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30, connect=5))
    app[UPSTREAM] = session
    yield
    await session.close()
