"""Every service's OpenAPI document and docs page, through the edge."""

from __future__ import annotations

import json

import pytest
from devstack_runner import RunningStack, http_get

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("service", "a_path"),
    [
        ("users", "/auth/login"),
        ("catalog", "/products/{product_id}"),
        ("cart", "/cart/checkout"),
        ("orders", "/orders/{order_id}/cancel"),
    ],
)
def test_each_service_publishes_its_api(stack: RunningStack, service: str, a_path: str) -> None:
    status, headers, body = http_get(f"{stack.edge}/openapi/{service}.json")
    assert status == 200, body[:200]
    document = json.loads(body)
    assert document["openapi"].startswith("3.")
    assert any(path.startswith(a_path.split("{")[0]) for path in document["paths"]), sorted(
        document["paths"]
    )
    status, headers, body = http_get(f"{stack.edge}/docs/{service}")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b"<html" in body.lower()
