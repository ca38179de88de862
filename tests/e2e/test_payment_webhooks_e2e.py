"""The processor's webhooks through the edge: only verified events get in."""

from __future__ import annotations

import json
import time
import uuid

import aiohttp
import pytest
from devstack_runner import RunningStack

from ecommerce.payments.webhook_signature import sign

pytestmark = pytest.mark.e2e


def forged_event(order_id: str) -> bytes:
    event = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_forged", "metadata": {"order_id": order_id}}},
    }
    return json.dumps(event).encode()


@pytest.mark.parametrize("header", [None, "t=0,v1=deadbeef", "forger's secret"])
async def test_a_forged_webhook_is_refused_at_the_edge(
    stack: RunningStack, session: aiohttp.ClientSession, header: str | None
) -> None:
    body = forged_event(str(uuid.uuid4()))
    headers = {"Content-Type": "application/json"}
    if header == "forger's secret":
        header = sign(body, ["whsec_forger"], int(time.time()))
    if header is not None:
        headers["Stripe-Signature"] = header
    async with session.post(
        f"{stack.edge}/webhooks/payments", data=body, headers=headers
    ) as response:
        assert response.status == 400
        assert response.content_type == "application/problem+json"
        assert (await response.json())["title"] == "Invalid signature"
