"""Each service's OpenAPI document says exactly what the service validates.

The documents are built from the real app factories (nothing is started). Requests are
generated from them by schemathesis, the fuzzer CI runs, and handed to the same models and
checks the handlers use: every request a document allows must pass them, and every body it
forbids must fail them. A constraint added to a validator but not to the document (or the other
way round) fails here before the API fuzzing in CI would.
"""

from __future__ import annotations

import importlib
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, find, given, settings
from pydantic import BaseModel, ValidationError
from schemathesis import GenerationMode
from schemathesis.specs.openapi.coverage._operation import iter_coverage_cases

from ecommerce.cart.api import build_app as build_cart
from ecommerce.catalog.products.browsing import table_key
from ecommerce.catalog.products.product import is_product_id, normalise_category
from ecommerce.catalog.products.public_api import build_app as build_catalog
from ecommerce.orders.api import _IDEMPOTENCY_KEY
from ecommerce.orders.api import build_app as build_orders
from ecommerce.orders.service import order_position
from ecommerce.payments.webhooks_api import build_app as build_webhooks
from ecommerce.platform.config import Settings
from ecommerce.platform.cursor import decode_cursor
from ecommerce.platform.http.openapi import openapi_document, operation_of
from ecommerce.users.api import build_app as build_users

# The formats the fuzzer registers (tests/e2e/api_formats.py), made by the services' functions.
sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))
FORMATS: dict[str, Any] = importlib.import_module("api_formats").FORMATS

for _name, _strategy in FORMATS.items():
    schemathesis.openapi.format(_name, _strategy)

BUILDERS: dict[str, Callable[[Settings], web.Application]] = {
    "users": build_users,
    "catalog": build_catalog,
    "cart": build_cart,
    "orders": build_orders,
    "webhooks": build_webhooks,
}
EXAMPLES = settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

JSON_SCHEMA_WORDS = {
    "$ref", "$defs", "type", "properties", "required", "additionalProperties", "items",
    "anyOf", "oneOf", "allOf", "enum", "const", "format", "pattern", "minLength", "maxLength",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
    "title", "description", "default", "examples", "discriminator", "prefixItems",
}  # fmt: skip


def _in_integer(value: str) -> int:
    assert value.lstrip("-").isascii() and value.lstrip("-").isdigit(), value
    return int(value)


PARAMETER_CHECKS: dict[str, Callable[[Any], object]] = {
    "category": lambda value: value == "" or normalise_category(value),
    "cursor@catalog": lambda value: value == "" or decode_cursor(value, table_key),
    "cursor@orders": lambda value: value == "" or decode_cursor(value, order_position),
    "Idempotency-Key": lambda value: _IDEMPOTENCY_KEY.fullmatch(value) or pytest.fail(value),
    "order_id": uuid.UUID,
    "product_id": lambda value: is_product_id(value) or pytest.fail(value),
}
"""What the handler does with a parameter, by name (`name@service` where services differ)."""


def documents() -> Iterator[tuple[str, web.Application, dict[str, Any]]]:
    for service, build in BUILDERS.items():
        app = build(Settings.from_env(service))
        yield service, app, openapi_document(app)


def request_models() -> list[tuple[str, str, str, type[BaseModel], dict[str, Any]]]:
    found = []
    for service, app, document in documents():
        for route in app.router.routes():
            described = operation_of(route.handler)
            if described is None or described.request is None:
                continue
            path = route.resource.canonical if route.resource else ""
            found.append((service, path, route.method, described.request, document))
    return found


MODELS = request_models()
IDS = [f"{method} {path}" for _, path, method, _, _ in MODELS]


def _walk(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key not in ("properties", "$defs"):
                yield from _walk(value)
            elif isinstance(value, dict):
                for child in value.values():
                    yield from _walk(child)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


@pytest.mark.parametrize("service", list(BUILDERS))
def test_every_schema_uses_only_json_schema_keywords(service: str) -> None:
    """A constraint pydantic could not turn into JSON Schema shows up as its own name (`ge`,
    `le`): the service checks it and the document does not say it."""
    document = openapi_document(BUILDERS[service](Settings.from_env(service)))
    schemas: list[object] = list(document["components"]["schemas"].values())
    for operations in document["paths"].values():
        for described in operations.values():
            schemas += [parameter["schema"] for parameter in described.get("parameters", [])]
    for schema in schemas:
        for node in _walk(schema):
            unknown = set(node) - JSON_SCHEMA_WORDS
            assert not unknown, (service, unknown, node)


@pytest.mark.parametrize(("service", "path", "method", "model", "document"), MODELS, ids=IDS)
def test_every_body_the_document_allows_is_accepted(
    service: str, path: str, method: str, model: type[BaseModel], document: dict[str, Any]
) -> None:
    operation = schemathesis.openapi.from_dict(document)[path][method]

    @EXAMPLES
    @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def accepted(case: schemathesis.Case[Any]) -> None:
        try:
            model.model_validate(case.body)
        except ValidationError as error:
            pytest.fail(f"{method} {path}: the document allows {case.body!r}, but {error}")

    accepted()


@pytest.mark.parametrize(("service", "path", "method", "model", "document"), MODELS, ids=IDS)
def test_every_body_the_document_forbids_is_refused(
    service: str, path: str, method: str, model: type[BaseModel], document: dict[str, Any]
) -> None:
    operation = schemathesis.openapi.from_dict(document)[path][method]
    body = operation.body[0]

    @EXAMPLES
    @given(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def refused(case: schemathesis.Case[Any]) -> None:
        # Only a JSON body the schema forbids (the negative case may break a header instead).
        if isinstance(case.body, bytes | bytearray) or body.is_valid(case.body):
            return
        with pytest.raises(ValidationError):
            model.model_validate(case.body)
            pytest.fail(f"{method} {path}: the document forbids {case.body!r}, but it passes")

    refused()


def parameter_operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    names = {name.split("@")[0] for name in PARAMETER_CHECKS} | {"limit"}
    found = []
    for service, _, document in documents():
        for path, operations in document["paths"].items():
            for method, described in operations.items():
                if names & {parameter["name"] for parameter in described.get("parameters", [])}:
                    found.append((service, path, method.upper(), document))
    return found


PARAMETERS = parameter_operations()


@pytest.mark.parametrize(
    ("service", "path", "method", "document"),
    PARAMETERS,
    ids=[f"{method} {path}" for _, path, method, _ in PARAMETERS],
)
def test_every_parameter_the_document_allows_is_accepted(
    service: str, path: str, method: str, document: dict[str, Any]
) -> None:
    operation = schemathesis.openapi.from_dict(document)[path][method]
    constrained = {
        parameter["name"]
        for parameter in document["paths"][path][method.lower()]["parameters"]
        if set(parameter["schema"]) - {"type"}
    }

    @EXAMPLES
    @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def accepted(case: schemathesis.Case[Any]) -> None:
        for values in (case.query, case.headers, case.path_parameters):
            for name, value in (values or {}).items():
                if name not in constrained:
                    continue
                if name == "limit":
                    _in_integer(str(value))
                check = PARAMETER_CHECKS.get(f"{name}@{service}") or PARAMETER_CHECKS.get(name)
                if check is not None:
                    check(str(value))

    accepted()


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _edges(schema: dict[str, Any]) -> Iterator[tuple[object, bool]]:
    """Values at and just past a schema's bounds, with whether the schema allows them."""
    if schema.get("type") == "integer":
        for bound, step in (("minimum", -1), ("maximum", 1)):
            if bound in schema:
                yield schema[bound], True
                yield schema[bound] + step, False
    if schema.get("type") == "string" and "format" not in schema:
        pattern = schema.get("pattern")
        for bound, step in (("minLength", -1), ("maxLength", 1)):
            if bound in schema:
                for length, allowed in ((schema[bound], True), (schema[bound] + step, False)):
                    value = "a" * length
                    if length >= 0 and (pattern is None or re.search(pattern, value)):
                        yield value, allowed


def _mutations(
    body: object, schema: dict[str, Any], document: dict[str, Any], where: str = "body"
) -> Iterator[tuple[str, object, bool]]:
    """Copies of `body` with one value moved to an edge of its schema."""
    schema = _resolve(schema, document)
    if isinstance(body, dict):
        for name, value in body.items():
            child = schema.get("properties", {}).get(name)
            if child is None:
                continue
            for found, changed, allowed in _mutations(value, child, document, f"{where}.{name}"):
                yield found, {**body, name: changed}, allowed
    elif isinstance(body, list) and body and "items" in schema:
        for found, changed, allowed in _mutations(body[0], schema["items"], document, where):
            yield found, [changed, *body[1:]], allowed
    else:
        for value, allowed in _edges(schema):
            yield where, value, allowed


@pytest.mark.parametrize(("service", "path", "method", "model", "document"), MODELS, ids=IDS)
def test_the_documented_bounds_are_the_validated_bounds(
    service: str, path: str, method: str, model: type[BaseModel], document: dict[str, Any]
) -> None:
    """Each documented minimum, maximum, minLength and maxLength is exactly where the model's
    validation starts refusing (random data seldom reaches a length bound)."""
    operation = schemathesis.openapi.from_dict(document)[path][method]
    bodies = (
        case.body
        for case in iter_coverage_cases(
            operation=operation,
            generation_modes=[GenerationMode.POSITIVE],
            generate_duplicate_query_parameters=False,
            unexpected_methods=set(),
            generation_config=operation.schema.config.generation,
        )
        if isinstance(case.body, dict)
    )
    base = (
        next(bodies, None)
        or find(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            lambda case: isinstance(case.body, dict),
            settings=EXAMPLES,
        ).body
    )
    body_schema = document["paths"][path][method.lower()]["requestBody"]["content"]
    edges = list(_mutations(base, body_schema["application/json"]["schema"], document))
    for where, body, allowed in edges:
        try:
            model.model_validate(body)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == allowed, (where, "documented" if allowed else "past the bound", body)
