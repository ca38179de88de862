"""`ecommerce dev`, stopped with Ctrl-C and started again, brings back everything: a customer's
token still works and shows their orders, stock stays where orders left it, an uploaded image
and its thumbnails are still served, and messages wait in their queue and DLQ. `--reset` then
wipes it all together."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from devstack_runner import REPO, RunningStack, boot_stack, stop_stack
from shoppers import Customer, new_customer, wait_for_stock
from test_catalog_admin_e2e import jpeg, json_of, login

from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.platform.aws import AwsClients

pytestmark = pytest.mark.e2e


def emulator_environ(stack: RunningStack, environ: dict[str, str]) -> dict[str, str]:
    endpoints = stack.read()["endpoints"]
    return aws_environment(
        environ, endpoints["aws"], embedded=True, dynamodb_endpoint=endpoints["dynamodb"]
    )


async def queue_urls(prefix: str) -> tuple[Any, str, str]:
    """(an SQS client's owner, the orders DLQ's URL, a queue of this test's own)."""
    clients = AwsClients("us-east-1")
    sqs = await clients.client("sqs")
    dlq = (await sqs.get_queue_url(QueueName=f"{prefix}-orders-dlq"))["QueueUrl"]
    own = (await sqs.create_queue(QueueName=f"{prefix}-restart-probe"))["QueueUrl"]
    return clients, dlq, own


async def bodies(sqs: Any, url: str) -> list[str]:
    received = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return sorted(message["Body"] for message in received.get("Messages", []))


async def upload_image(session: aiohttp.ClientSession, edge: str, admin: dict[str, str]) -> str:
    body = {
        "name": "Kept Mug",
        "description": "Survives a restart.",
        "category": f"e2e-{uuid.uuid4().hex[:8]}",
        "price": {"amount": 900, "currency": "USD"},
        "stock": 5,
    }
    async with session.post(f"{edge}/products", json=body, headers=admin) as created:
        assert created.status == 201, await created.text()
        product_id = str((await json_of(created))["id"])
    async with session.post(
        f"{edge}/products/{product_id}/images", json={"content_type": "image/jpeg"}, headers=admin
    ) as asked:
        assert asked.status == 201, await asked.text()
        spec = await json_of(asked)
    form = aiohttp.FormData()
    for name, value in spec["fields"].items():
        form.add_field(name, value)
    form.add_field("file", jpeg(400, 300), filename="mug.jpg", content_type="image/jpeg")
    async with session.post(spec["url"], data=form) as posted:
        assert posted.status in (200, 201, 204), await posted.text()
    return product_id


async def images_of(session: aiohttp.ClientSession, edge: str, product_id: str) -> list[Any]:
    async with session.get(f"{edge}/products/{product_id}") as read:
        assert read.status == 200
        return list((await json_of(read))["images"])


async def test_a_restarted_stack_brings_back_users_orders_stock_images_and_messages(
    stack_environ: dict[str, str],
    stack_dir: Path,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if stack_environ.get("AWS_ENDPOINT_URL", "").strip():
        pytest.skip("an external AWS endpoint keeps its own state")
    prefix = stack_environ.get("ECOMMERCE_PREFIX", "ecommerce")
    state = stack_dir / "state"

    first = boot_stack(stack_environ, state)
    try:
        edge = first.edge
        admin_token = await login(session, edge, DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD)
        admin = {"Authorization": f"Bearer {admin_token}"}
        product_id = await upload_image(session, edge, admin)
        customer = await new_customer(session, edge)
        status, me = await customer.get("/users/me")
        assert status == 200, me
        placed, _, order = await customer.place(
            [{"product_id": product_id, "quantity": 2}], "tok_visa"
        )
        assert placed == 202, order
        assert (await customer.settled(order["id"]))["status"] == "CONFIRMED"
        assert await wait_for_stock(session, edge, product_id, 3) == 3
        for _ in range(150):
            if await images_of(session, edge, product_id):
                break
            await asyncio.sleep(0.2)
        [image] = await images_of(session, edge, product_id)
        for key, value in emulator_environ(first, stack_environ).items():
            monkeypatch.setenv(key, value)
        clients, dlq, own = await queue_urls(prefix)
        try:
            sqs = await clients.client("sqs")
            await sqs.send_message(QueueUrl=dlq, MessageBody="dead before the restart")
            await sqs.send_message(QueueUrl=own, MessageBody="waiting across the restart")
        finally:
            await clients.close()
    finally:
        stop_stack(first, signal.SIGINT)

    # The same edge port, as `make run` uses: the edge is the tokens' issuer.
    second = boot_stack(stack_environ, state, port=int(first.edge.rsplit(":", 1)[1]))
    try:
        again = Customer(session, second.edge, customer.token)
        status, me_again = await again.get("/users/me")
        assert (status, me_again["id"]) == (200, me["id"]), me_again
        status, orders = await again.get("/orders")
        assert status == 200, orders
        assert [o["id"] for o in orders["items"]] == [order["id"]]
        async with session.get(f"{second.edge}/products/{product_id}") as read:
            product = await json_of(read)
        assert product["stock"] == 3
        [kept] = product["images"]
        assert kept["id"] == image["id"]
        async with session.get(kept["thumbnails"]["128"]) as thumbnail:
            assert thumbnail.status == 200
        for key, value in emulator_environ(second, stack_environ).items():
            monkeypatch.setenv(key, value)
        clients, dlq, own = await queue_urls(prefix)
        try:
            sqs = await clients.client("sqs")
            assert await bodies(sqs, dlq) == ["dead before the restart"]
            assert await bodies(sqs, own) == ["waiting across the restart"]
        finally:
            await clients.close()
    finally:
        stop_stack(second, signal.SIGINT)

    wiped = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "ecommerce.cli", "dev", "--reset", "--no-start"],
        cwd=REPO,
        env={**stack_environ, "ECOMMERCE_STATE_DIR": str(state)},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert wiped.returncode == 0, wiped.stdout
    assert not state.exists()
