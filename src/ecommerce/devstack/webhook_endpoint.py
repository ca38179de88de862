"""The dev stack's webhook endpoint at its gateway simulator, made as one is made at Stripe.

The simulator starts empty, so on every start the stack registers the edge's
`/webhooks/payments` as a webhook endpoint of the payments worker's account (its key read
from the secret it charges with) and puts the signing secret the simulator answers with into
`payment-webhook-secrets`, where the webhooks frontend reads it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from secrets import token_urlsafe
from typing import Any

import aiohttp
from botocore.exceptions import ClientError

from ecommerce.payments.credentials import KEY_SECRET, InvalidKeySecret, parse_api_key
from ecommerce.payments.webhooks_api import WEBHOOK_SECRETS
from ecommerce.platform.aws import AwsClients
from ecommerce.resources import secret_id


async def _simulator_key(secrets: Any, say: Callable[[str], None]) -> str:
    """The key in `payment-gateway-key`; one made up (the simulator takes any `sk_test_`) when
    the secret has none yet: Terraform makes it empty (`ECOMMERCE_PROVISION=off`)."""
    try:
        found = await secrets.get_secret_value(SecretId=secret_id(KEY_SECRET))
        return parse_api_key(str(found.get("SecretString") or ""))
    except (ClientError, InvalidKeySecret):
        key = "sk_test_" + token_urlsafe(24)
        await secrets.put_secret_value(SecretId=secret_id(KEY_SECRET), SecretString=key)
        say(f"secret   {secret_id(KEY_SECRET)} (a test key for the simulator)")
        return key


EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.dispute.created",
)
"""What the payments worker handles; docs/payments.md lists the same for a Stripe account."""


async def register_webhook_endpoint(
    clients: AwsClients,
    gateway_url: str,
    webhook_url: str,
    say: Callable[[str], None],
    *,
    within: float = 15.0,
) -> str:
    """Register `webhook_url` at the simulator and store its signing secret; the endpoint id."""
    secrets = await clients.client("secretsmanager")
    api_key = await _simulator_key(secrets, say)
    form = [("url", webhook_url), *((f"enabled_events[{i}]", e) for i, e in enumerate(EVENTS))]
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        while True:
            try:
                async with session.post(
                    f"{gateway_url}/v1/webhook_endpoints",
                    data=form,
                    headers={"Authorization": f"Bearer {api_key}"},
                ) as response:
                    response.raise_for_status()
                    endpoint = await response.json()
                break
            except (aiohttp.ClientError, TimeoutError):
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)
    await secrets.put_secret_value(
        SecretId=secret_id(WEBHOOK_SECRETS), SecretString=str(endpoint["secret"])
    )
    say(f"webhooks  {gateway_url} -> {webhook_url} (endpoint {endpoint['id']})")
    return str(endpoint["id"])
