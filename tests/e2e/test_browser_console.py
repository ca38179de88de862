"""The operator's story in a real headless Chromium, through the edge of the running stack:
a customer is refused the console; an admin sees a poisoned message land in the payments DLQ
with its reason and redrives it, reads an order's timeline (state changes and trace), edits a
product's stock and uploads an image whose thumbnail appears. Every page passes axe-core with
no serious violation."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from browser import (
    accessible,
    click,
    find,
    new_customer,
    screenshot,
    visible,
    wait_for,
)
from devstack_runner import RunningStack
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from shoppers import PASSWORD, SETTLE_WITHIN

from ecommerce.devstack.environment import aws_environment
from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def call(edge: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(f"{edge}{path}", method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if path == "/orders" and method == "POST":
        request.add_header("Idempotency-Key", str(uuid.uuid4()))
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data=data, timeout=15) as response:
        return json.loads(response.read() or b"null")


def sign_in(driver: WebDriver, edge: str, email: str, password: str) -> None:
    driver.get(f"{edge}/ops")
    find(driver, "input[autocomplete=username]").send_keys(email)
    find(driver, "input[autocomplete=current-password]").send_keys(password)
    click(driver, "form button[type=submit]")


def poison_payments_queue(stack: RunningStack, environ: dict[str, str]) -> str:
    """A message the payments worker cannot read: it dead-letters it with the reason."""
    embedded = not environ.get("AWS_ENDPOINT_URL")
    aws = aws_environment(environ, stack.read()["endpoints"]["aws"], embedded=embedded)
    sqs = boto3.client(
        "sqs",
        region_name=aws["AWS_REGION"],
        endpoint_url=aws.get("AWS_ENDPOINT_URL"),
        aws_access_key_id=aws["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws["AWS_SECRET_ACCESS_KEY"],
    )
    prefix = environ.get("ECOMMERCE_PREFIX", "ecommerce")
    marker = f"not an event {uuid.uuid4().hex[:8]}"
    try:
        sqs.send_message(
            QueueUrl=sqs.get_queue_url(QueueName=f"{prefix}-payments")["QueueUrl"],
            MessageBody=marker,
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": "InventoryReserved"}
            },
        )
    finally:
        sqs.close()
    return marker


def test_a_customer_is_refused_the_console(stack: RunningStack, driver: WebDriver) -> None:
    email, token = new_customer(stack.edge)
    sign_in(driver, stack.edge, email, PASSWORD)
    refusal = find(driver, "p.error[role=alert]")
    assert "administrators only" in refusal.text
    assert visible(driver, "#queues") is None
    request = urllib.request.Request(f"{stack.edge}/ops/api/queues")
    request.add_header("Authorization", f"Bearer {token}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=15)
    assert refused.value.code == 403
    refused.value.close()
    accessible(driver, "console sign-in")


def test_an_admin_redrives_a_poisoned_message_reads_a_timeline_and_edits_a_product(
    stack: RunningStack, stack_environ: dict[str, str], driver: WebDriver, tmp_path: Path
) -> None:
    edge = stack.edge
    admin_email = stack_environ.get("ECOMMERCE_ADMIN_EMAIL") or DEFAULT_ADMIN_EMAIL
    admin_password = stack_environ.get("ECOMMERCE_ADMIN_PASSWORD") or DEFAULT_ADMIN_PASSWORD
    marker = poison_payments_queue(stack, stack_environ)
    sign_in(driver, edge, admin_email, admin_password)

    # Queues, refreshed in place: the poisoned message shows up in the payments DLQ.
    find(driver, "#queues tbody tr")
    wait_for(
        driver,
        lambda d: (
            int(d.find_element(By.CSS_SELECTOR, "tr[data-queue=payments] td[data-dlq-depth]").text)
            > 0
        ),
        "a dead letter in the payments DLQ",
        SETTLE_WITHIN,
    )
    screenshot(driver, "console-queues")
    accessible(driver, "queues")

    # The dead letter: its body and its reason; then the redrive.
    click(driver, "tr[data-queue=payments] a")
    article = wait_for(
        driver,
        lambda d: next(
            (
                a
                for a in d.find_elements(By.CSS_SELECTOR, "article.dead-letter")
                if marker in a.text
            ),
            None,
        ),
        "the poisoned message",
    )
    assert article.find_element(By.CSS_SELECTOR, ".reason").text.startswith("poison:")
    screenshot(driver, "console-dead-letter")
    accessible(driver, "dead letters")
    click(driver, "main button")
    moved = wait_for(
        driver,
        lambda d: re.search(r"Moved (\d+) message", d.find_element(By.ID, "redrive-result").text),
        "redrive",
    )
    assert int(moved.group(1)) >= 1

    # An order's timeline: its state changes from the orders store and its trace.
    _, token = new_customer(edge)
    order = call(
        edge,
        "POST",
        "/orders",
        {"items": [{"product_id": "p-003", "quantity": 1}], "payment_token": "tok_visa"},
        token,
    )
    click(driver, "a[href='#/orders']")
    field = find(driver, "main form input[type=text]")
    field.send_keys(order["id"])
    click(driver, "main form button[type=submit]")

    def settled_with_trace(d: WebDriver) -> bool:
        table = visible(d, "table.timeline")
        if table and "CONFIRMED" in table.text and d.find_elements(By.CSS_SELECTOR, "tr.trace"):
            return True
        d.execute_script("window.dispatchEvent(new HashChangeEvent('hashchange'))")
        return False

    wait_for(driver, settled_with_trace, "the timeline with CONFIRMED and trace", SETTLE_WITHIN)
    screenshot(driver, "console-timeline")
    accessible(driver, "timeline")

    # The audit, run from the console: every check listed with its result.
    click(driver, "a[href='#/audit']")
    click(driver, "main button")
    verdict = find(driver, "#audit-verdict")
    checks = driver.find_elements(By.CSS_SELECTOR, "#audit tr[data-check]")
    assert len(checks) >= 5, verdict.text
    assert verdict.text.startswith(("Clean", "Violations"))
    screenshot(driver, "console-audit")
    accessible(driver, "audit")

    # A product: its stock changed, an image uploaded, its thumbnail shown.
    driver.get(f"{edge}/ops#/products")
    click(driver, "a[href='#/products/p-002']")
    stock = find(driver, "#edit-product input[type=number]")
    new_stock = int(stock.get_attribute("value") or "0") + 5
    stock.clear()
    stock.send_keys(str(new_stock))
    click(driver, "#edit-product button[type=submit]")
    saved = wait_for(
        driver, lambda d: visible(d, "#saved") or visible(d, "#edit-problem p"), "save"
    )
    assert saved.get_attribute("id") == "saved", saved.text
    assert call(edge, "GET", "/products/p-002")["stock"] == new_stock
    picture = tmp_path / "blue.png"
    buffer = io.BytesIO()
    bands = (
        Image.linear_gradient("L"),
        Image.radial_gradient("L"),
        Image.new("L", (256, 256), 190),
    )
    Image.merge("RGB", bands).save(buffer, format="PNG")
    picture.write_bytes(buffer.getvalue())
    before = len(driver.find_elements(By.CSS_SELECTOR, "#images li"))
    find(driver, "#image-file").send_keys(str(picture))
    click(driver, "#upload-image button[type=submit]")
    wait_for(
        driver,
        lambda d: (
            len(d.find_elements(By.CSS_SELECTOR, "#images li[data-status=ready] img")) > before
            and "Thumbnail ready" in d.find_element(By.ID, "upload-status").text
        ),
        "the thumbnail",
        SETTLE_WITHIN,
    )
    screenshot(driver, "console-product")
    accessible(driver, "product")
