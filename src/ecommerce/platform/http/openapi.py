"""OpenAPI 3.1 documents generated from the routes a service registers, and a docs page.

A handler describes itself with `@operation(...)`: a summary, its request and response models
(pydantic), who may call it, its parameters and the problems it answers with. The method and the
path come from the router, so the document cannot drift from what is served. `install` (called
by `create_app`) serves the document at `/openapi.json` and an HTML page at `/docs`, and the same
under `/openapi/<service>.json` and `/docs/<service>`, paths an edge can route by prefix.

    @operation("Log in", request=LoginRequest, response=TokenOut, errors={401: "Wrong password"})
    async def login(request: web.Request) -> web.Response: ...
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from ecommerce.platform.http.docs_page import render_docs_page
from ecommerce.platform.http.problems import PROBLEM_TYPE

Auth = Literal["public", "bearer", "admin"]
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[web.StreamResponse]])

OPENAPI_VERSION = "3.1.0"
SCHEMAS = "#/components/schemas/"
BEARER = "bearerAuth"
_ATTRIBUTE = "__openapi_operation__"


class Problem(BaseModel):
    """An error, as `application/problem+json` (RFC 9457)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field("about:blank", description="A URI naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="What went wrong in this occurrence.")
    instance: str | None = Field(None, description="The path the problem occurred on.")


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the bad field (`items.0.quantity`), or `body`.")
    message: str
    type: str | None = Field(None, description="A machine-readable error code.")


class ValidationProblem(Problem):
    """A request that does not validate: every bad field with what is wrong with it."""

    errors: list[FieldError]


@dataclass(frozen=True)
class Param:
    """A query, header or path parameter of an operation."""

    name: str
    location: Literal["query", "header", "path"]
    description: str
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Link:
    """An OpenAPI link from an operation's success: where a client (or a fuzzer following the
    links, as schemathesis's stateful phase does) can go next with a value of the answer."""

    operation_id: str
    parameters: Mapping[str, str]
    """Parameter name to a runtime expression, such as `$response.body#/id`."""
    description: str = ""


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str | None = None
    request: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    response_description: str = "Success"
    auth: Auth = "public"
    params: tuple[Param, ...] = ()
    errors: Mapping[int, str] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    links: Mapping[str, Link] = field(default_factory=dict)


def operation(
    summary: str,
    *,
    description: str | None = None,
    request: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    response_description: str = "Success",
    auth: Auth = "public",
    params: Sequence[Param] = (),
    errors: Mapping[int, str] | None = None,
    tags: Sequence[str] = (),
    links: Mapping[str, Link] | None = None,
) -> Callable[[Handler], Handler]:
    """Describe a handler for the service's OpenAPI document; the handler is returned as is.

    `auth="bearer"` adds 401, `"admin"` adds 401 and 403, a `request` model adds 400, 413 and
    422; `errors` names any other problem status with what it means; `links` names the
    operations a success leads to.
    """
    described = Operation(
        summary=summary,
        description=description,
        request=request,
        response=response,
        status=status,
        response_description=response_description,
        auth=auth,
        params=tuple(params),
        errors=dict(errors or {}),
        tags=tuple(tags),
        links=dict(links or {}),
    )

    def describe(handler: Handler) -> Handler:
        setattr(handler, _ATTRIBUTE, described)
        return handler

    return describe


def operation_of(handler: object) -> Operation | None:
    found = getattr(handler, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None


@dataclass(frozen=True)
class ApiInfo:
    service: str
    title: str
    version: str


API_INFO = web.AppKey("api_info", ApiInfo)
API_DOCUMENTS = web.AppKey("api_documents", dict[str, str])
"""The rendered JSON document and docs pages, by path; built once at start-up."""


def _package_version() -> str:
    try:
        return metadata.version("ecommerce")
    except metadata.PackageNotFoundError:
        return "0.0.0"


_VERSION = _package_version()


def install(app: web.Application, service: str) -> None:
    """Serve the service's OpenAPI document and docs page (`create_app` calls this)."""
    app[API_INFO] = ApiInfo(service, f"ecommerce {service} API", _VERSION)
    for path in ("/openapi.json", f"/openapi/{service}.json"):
        app.router.add_get(path, _openapi_json)
    for path in ("/docs", f"/docs/{service}"):
        app.router.add_get(path, _docs)
    app.on_startup.append(_render)


async def _render(app: web.Application) -> None:
    document = openapi_document(app)
    service = app[API_INFO].service
    app[API_DOCUMENTS] = {
        "json": json.dumps(document, indent=2),
        "/docs": render_docs_page(document, "/openapi.json"),
        f"/docs/{service}": render_docs_page(document, f"/openapi/{service}.json"),
    }


@operation("This service's OpenAPI 3.1 document", tags=("documentation",))
async def _openapi_json(request: web.Request) -> web.Response:
    return web.Response(
        text=request.app[API_DOCUMENTS]["json"],
        content_type="application/json",
        headers={"Cache-Control": "no-cache"},
    )


@operation("A page describing every operation and schema (HTML)", tags=("documentation",))
async def _docs(request: web.Request) -> web.Response:
    pages = request.app[API_DOCUMENTS]
    return web.Response(
        text=pages.get(request.path, pages["/docs"]),
        content_type="text/html",
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        },
    )


def openapi_document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every GET, POST, PUT, PATCH and DELETE route of the app but
    those that serve the documentation itself (`/openapi.json`, `/docs` and their aliases)."""
    info = app[API_INFO]
    routes: list[tuple[str, str, Any, Operation]] = []
    for route in app.router.routes():
        if route.method in ("HEAD", "OPTIONS", "*") or route.resource is None:
            continue
        if route.handler in (_docs, _openapi_json):  # the documentation, not the API
            continue
        described = operation_of(route.handler) or Operation(summary=route.resource.canonical)
        routes.append((route.resource.canonical, route.method, route.handler, described))

    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (Problem, "serialization"),
        (ValidationProblem, "serialization"),
    ]
    for _, _, _, described in routes:
        if described.request is not None:
            wanted.append((described.request, "validation"))
        if described.response is not None:
            wanted.append((described.response, "serialization"))
    refs, definitions = models_json_schema(
        list(dict.fromkeys(wanted)), ref_template=SCHEMAS + "{model}"
    )

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(refs[(model, mode)])

    names = Counter(_name_of(handler) for _, _, handler, _ in routes)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, handler, described in sorted(routes, key=lambda r: (r[0], r[1])):
        operation_id = _name_of(handler)
        if names[operation_id] > 1:  # one handler on several routes: name it by its route
            operation_id = re.sub(r"[^A-Za-z0-9]+", "_", f"{method} {path}").strip("_").lower()
        paths.setdefault(path, {})[method.lower()] = _operation_object(
            path, described, operation_id, ref
        )

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": info.title,
            "version": info.version,
            "description": (
                f"The {info.service} service of the ecommerce backend. Errors are "
                f"`{PROBLEM_TYPE}` documents (RFC 9457); a request that does not validate is "
                "a 422 naming every bad field."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token from `POST /auth/login`.",
                }
            },
        },
    }


def _name_of(handler: object) -> str:
    return str(getattr(handler, "__name__", "operation")).lstrip("_")


_STANDARD_PROBLEMS: dict[int, str] = {
    400: "The request is malformed (bad JSON or parameter)",
    401: "No valid access token",
    403: "The access token lacks the needed role",
    413: "The request body is too large",
    422: "The request does not validate; `errors` names every bad field",
}


def _operation_object(
    path: str,
    described: Operation,
    operation_id: str,
    ref: Callable[[type[BaseModel], JsonSchemaMode], dict[str, Any]],
) -> dict[str, Any]:
    result: dict[str, Any] = {"operationId": operation_id, "summary": described.summary}
    if described.description:
        result["description"] = described.description
    if described.tags:
        result["tags"] = list(described.tags)
    parameters = _parameters(path, described.params)
    if parameters:
        result["parameters"] = parameters
    if described.request is not None:
        result["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(described.request, "validation")}},
        }

    success: dict[str, Any] = {"description": described.response_description}
    if described.response is not None:
        success["content"] = {
            "application/json": {"schema": ref(described.response, "serialization")}
        }
    if described.links:
        success["links"] = {
            name: {
                "operationId": link.operation_id,
                "parameters": dict(link.parameters),
                **({"description": link.description} if link.description else {}),
            }
            for name, link in described.links.items()
        }
    responses: dict[str, Any] = {str(described.status): success}

    problems: dict[int, str] = {}
    if described.request is not None:
        problems.update({status: _STANDARD_PROBLEMS[status] for status in (400, 413, 422)})
    if described.auth != "public":
        problems[401] = _STANDARD_PROBLEMS[401]
        result["security"] = [{BEARER: []}]
    if described.auth == "admin":
        problems[403] = _STANDARD_PROBLEMS[403]
        result["x-required-role"] = "admin"
    problems.update(described.errors)
    for status in sorted(problems):
        # A 422 the operation names itself (an empty cart, a reused key) has no `errors`.
        validation = status == 422 and described.request and 422 not in described.errors
        model = ValidationProblem if validation else Problem
        responses[str(status)] = {
            "description": problems[status],
            "content": {PROBLEM_TYPE: {"schema": ref(model, "serialization")}},
        }
    responses["default"] = {
        "description": "Any other error",
        "content": {PROBLEM_TYPE: {"schema": ref(Problem, "serialization")}},
    }
    result["responses"] = responses
    return result


def _parameters(path: str, declared: Sequence[Param]) -> list[dict[str, Any]]:
    parameters = [
        {
            "name": param.name,
            "in": param.location,
            "description": param.description,
            "required": param.required or param.location == "path",
            "schema": dict(param.schema),
        }
        for param in declared
    ]
    named = {param.name for param in declared if param.location == "path"}
    for segment in path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            name = segment[1:-1].split(":", 1)[0]
            if name not in named:
                parameters.append(
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                )
    return parameters
