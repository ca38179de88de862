"""The OpenAPI documents and docs pages, built from the services' real app factories (no
server is started: the document is read off the router)."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from pydantic import BaseModel, Field

from ecommerce.catalog.products.public_api import build_app as build_catalog
from ecommerce.orders.api import build_app as build_orders
from ecommerce.platform.config import Settings
from ecommerce.platform.http.docs_page import render_docs_page
from ecommerce.platform.http.openapi import (
    Param,
    install,
    openapi_document,
    operation,
    operation_of,
)
from ecommerce.users.api import build_app as build_users

SCHEMAS = "#/components/schemas/"
METHODS = {"get", "post", "put", "patch", "delete"}


class WidgetIn(BaseModel):
    name: str = Field(min_length=1)
    size: int


class Part(BaseModel):
    id: str


class WidgetOut(BaseModel):
    id: str
    parts: list[Part]


@operation(
    "Make a <widget>",
    request=WidgetIn,
    response=WidgetOut,
    status=201,
    auth="admin",
    params=[Param("dry_run", "query", "Only check", schema={"type": "boolean"})],
    errors={409: "Exists already"},
)
async def make_widget(request: web.Request) -> web.Response:
    return web.json_response({})


async def undescribed(request: web.Request) -> web.Response:
    return web.json_response({})


def demo_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/shops/{shop_id}/widgets", make_widget)
    app.router.add_get("/plain", undescribed)
    install(app, "demo")
    return app


def refs_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if isinstance(value.get("$ref"), str) else set()
        return found.union(*(refs_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(refs_in(item) for item in value))
    return set()


def assert_well_formed(document: dict[str, Any]) -> None:
    """What a reader of the document relies on, checked without a validator."""
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    json.dumps(document)  # plain JSON all the way down
    schemas = document["components"]["schemas"]
    for reference in refs_in(document):
        assert reference.startswith(SCHEMAS) and reference[len(SCHEMAS) :] in schemas, reference
    operation_ids = []
    for path, methods in document["paths"].items():
        assert path.startswith("/")
        named = set(re.findall(r"{([^}]+)}", path))
        for method, described in methods.items():
            assert method in METHODS
            operation_ids.append(described["operationId"])
            assert described["summary"]
            assert described["responses"], (method, path)
            for status, response in described["responses"].items():
                assert status == "default" or 100 <= int(status) < 600
                assert response["description"]
            in_path = {p["name"] for p in described.get("parameters", []) if p["in"] == "path"}
            assert in_path == named, (method, path)
    assert len(operation_ids) == len(set(operation_ids))


def validate_if_possible(document: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(document)


def test_an_operation_gets_its_models_auth_parameters_and_problems() -> None:
    document = openapi_document(demo_app())

    assert_well_formed(document)
    described = document["paths"]["/shops/{shop_id}/widgets"]["post"]
    assert described["summary"] == "Make a <widget>"
    assert described["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": SCHEMAS + "WidgetIn"
    }
    created = described["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": SCHEMAS + "WidgetOut"}
    assert set(described["responses"]) == {
        "201", "400", "401", "403", "409", "413", "422", "default"
    }  # fmt: skip
    problem = described["responses"]["409"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": SCHEMAS + "Problem"}
    invalid = described["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert invalid == {"$ref": SCHEMAS + "ValidationProblem"}
    assert described["security"] == [{"bearerAuth": []}]
    assert described["x-required-role"] == "admin"
    assert described["parameters"] == [
        {
            "name": "dry_run",
            "in": "query",
            "description": "Only check",
            "required": False,
            "schema": {"type": "boolean"},
        },
        {"name": "shop_id", "in": "path", "required": True, "schema": {"type": "string"}},
    ]
    schemas = document["components"]["schemas"]
    assert {"WidgetIn", "WidgetOut", "Part", "Problem", "ValidationProblem", "FieldError"} <= set(
        schemas
    )
    assert schemas["WidgetIn"]["required"] == ["name", "size"]
    assert schemas["WidgetOut"]["properties"]["parts"]["items"] == {"$ref": SCHEMAS + "Part"}
    assert schemas["ValidationProblem"]["properties"]["errors"]["items"] == {
        "$ref": SCHEMAS + "FieldError"
    }
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    validate_if_possible(document)


def test_every_route_is_listed_once_per_method_and_head_is_left_out() -> None:
    document = openapi_document(demo_app())

    assert set(document["paths"]) == {"/shops/{shop_id}/widgets", "/plain"}
    assert set(document["paths"]["/plain"]) == {"get"}
    assert document["paths"]["/plain"]["get"]["summary"] == "/plain"  # described by its path


SERVICES: dict[str, Callable[[Settings], web.Application]] = {
    "users": build_users,
    "orders": build_orders,
    "catalog": build_catalog,
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_documents_every_route_it_serves(service: str) -> None:
    app = SERVICES[service](Settings.from_env(service))
    document = openapi_document(app)

    assert_well_formed(document)
    documentation = {"/openapi.json", f"/openapi/{service}.json", "/docs", f"/docs/{service}"}
    served = {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()
        if route.method in {m.upper() for m in METHODS}
        and route.resource is not None
        and route.resource.canonical not in documentation
    }
    listed = {(path, method) for path, methods in document["paths"].items() for method in methods}
    assert listed == served
    for route in app.router.routes():
        if route.method != "HEAD":
            assert operation_of(route.handler) is not None, f"{route.method} {route.resource}"
    for path in ("/healthz", "/readyz"):
        assert path in document["paths"]
    assert not documentation & set(document["paths"])
    validate_if_possible(document)


def test_the_users_document_carries_its_models_and_problems() -> None:
    document = openapi_document(build_users(Settings.from_env("users")))
    paths, schemas = document["paths"], document["components"]["schemas"]

    register = paths["/auth/register"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/RegisterRequest"
    )
    assert "201" in register["responses"] and "409" in register["responses"]
    login = paths["/auth/login"]["post"]
    assert {"200", "401", "422", "429"} <= set(login["responses"])
    assert "security" not in login
    me = paths["/users/me"]
    assert set(me) == {"get", "patch"}
    assert me["patch"]["security"] == [{"bearerAuth": []}]
    assert {"401", "404", "412", "422"} <= set(me["patch"]["responses"])
    assert "If-Match" in {p["name"] for p in me["patch"]["parameters"]}
    patch = schemas["UpdateProfileRequest"]
    assert patch["properties"]["addresses"]["maxItems"] == 5
    assert "default" not in patch["properties"]["name"]
    address = schemas["AddressIn"]
    assert set(address["required"]) == {"line1", "city", "postal_code", "country"}
    assert "ISO 3166-1 alpha-2" in address["properties"]["country"]["description"]
    assert "12 characters" in schemas["RegisterRequest"]["properties"]["password"]["description"]
    assert set(schemas["UserOut"]["required"]) >= {"id", "email", "name", "role", "addresses"}
    assert paths["/.well-known/jwks.json"]["get"]["responses"]["200"]["content"]


def test_the_docs_page_is_self_contained_escaped_html_listing_everything() -> None:
    document = openapi_document(demo_app())

    page = render_docs_page(document, "/openapi.json")

    assert page.startswith("<!doctype html>")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing to fetch
    assert "Make a &lt;widget&gt;" in page and "Make a <widget>" not in page
    for path in document["paths"]:
        assert f"<code>{path}</code>" in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    for anchor in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page, anchor
    assert '<a href="/openapi.json">' in page
    prose = re.sub(r"<pre>.*?</pre>", "", page, flags=re.S)
    assert "`" not in prose  # Markdown's `code` is shown as <code>, not as backticks
    assert "<code>application/problem+json</code>" in page
