"""The web frontend over HTTP through its real app factory, against the AWS emulator: its pages
and files with their security headers, and the console's API, refused to all but admins."""

import os
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from test_catalog_admin_api import role_headers

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.resources import RESOURCES, physical
from ecommerce.web.app import build_app
from ecommerce.web.pages import STATIC

pytestmark = pytest.mark.integration

Client = TestClient[Any, Any]


@pytest.fixture(scope="module")
async def client(provisioned: Any) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_app(Settings.from_env("web")))) as client:
        yield client


@pytest.fixture(scope="module")
async def headers(provisioned: Any) -> dict[str, dict[str, str]]:
    return await role_headers()


@pytest.mark.parametrize("path", ["/", "/ops"])
async def test_the_pages_carry_a_strict_policy_and_no_inline_script(
    client: Client, path: str
) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    html = await response.text()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts, "the page loads its code"
    assert all('src="/assets/' in attributes and not body.strip() for attributes, body in scripts)
    assert not re.search(r"\son[a-z]+=", html), "no inline event handler"


async def test_every_asset_is_served_with_its_type_and_the_headers(client: Client) -> None:
    kinds = {".js": "javascript", ".css": "text/css"}
    for asset in sorted((STATIC / "assets").iterdir()):
        response = await client.get(f"/assets/{asset.name}")
        assert response.status == 200, asset.name
        assert kinds[asset.suffix] in response.content_type, asset.name
        assert "Content-Security-Policy" in response.headers
    assert (await client.get("/assets/../pages.py")).status == 404


async def test_no_asset_comes_from_elsewhere() -> None:
    for asset in (STATIC / "assets").iterdir():
        text = asset.read_text()
        assert not re.search(r"https?://", text), f"{asset.name} names another origin"
        assert "localStorage" not in text and "sessionStorage" not in text
        assert "document.cookie" not in text and "innerHTML" not in text


async def test_the_console_api_refuses_everyone_but_an_admin(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    for path in ("/ops/api/me", "/ops/api/queues", "/ops/api/dlq/payments"):
        assert (await client.get(path, headers=headers["anonymous"])).status == 401
        assert (await client.get(path, headers=headers["customer"])).status == 403
    refused = await client.post("/ops/api/dlq/payments/redrive", headers=headers["customer"])
    assert refused.status == 403
    assert refused.content_type == "application/problem+json"
    assert "Content-Security-Policy" in refused.headers
    assert (await client.get("/ops/api/me", headers=headers["admin"])).status == 200


async def test_the_console_shows_every_queue_with_its_dlq(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/ops/api/queues", headers=headers["admin"])
    assert response.status == 200
    rows = {row["queue"]: row for row in (await response.json())["items"]}
    assert set(rows) == {queue.name for queue in RESOURCES.queues}
    assert {"visible", "in_flight", "dlq"} <= set(rows["payments"])


async def test_a_poisoned_message_shows_its_reason_and_redrive_moves_it_back(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    admin = headers["admin"]
    marker = f"poison-{uuid.uuid4().hex[:8]}"
    clients = AwsClients(os.environ["AWS_REGION"])
    try:
        sqs = await clients.client("sqs")
        dlq = (await sqs.get_queue_url(QueueName=physical("images-dlq")))["QueueUrl"]
        await sqs.send_message(
            QueueUrl=dlq,
            MessageBody='{"not": "an event"}',
            MessageAttributes={
                "failure_reason": {"DataType": "String", "StringValue": marker},
                "receive_count": {"DataType": "String", "StringValue": "1"},
            },
        )
        shown = await (await client.get("/ops/api/dlq/images", headers=admin)).json()
        ours = [item for item in shown["items"] if item["reason"] == marker]
        assert len(ours) == 1, shown  # other tests may have left theirs there too
        assert ours[0]["body"] == '{"not": "an event"}'
        moved = await client.post("/ops/api/dlq/images/redrive", headers=admin)
        assert moved.status == 200, await moved.text()
        assert (await moved.json())["moved"] >= 1
        after = await (await client.get("/ops/api/dlq/images", headers=admin)).json()
        assert marker not in [item["reason"] for item in after["items"]]
    finally:
        await clients.close()


async def test_an_unknown_queue_is_a_404(
    client: Client, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.get("/ops/api/dlq/nope", headers=headers["admin"])
    assert response.status == 404
