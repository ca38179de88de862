"""Webhooks: the frontend verifies and queues (real SQS, Secrets Manager); the payments worker
applies each event once, never moving a payment backwards (real DynamoDB)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from recording import RecordingPublisher

from ecommerce.payments import webhooks_api
from ecommerce.payments.ledger import Ledger, PaymentStatus
from ecommerce.payments.processor_events import ProcessorEvents
from ecommerce.payments.webhook_signature import sign
from ecommerce.payments.webhooks_api import WEBHOOK_SECRETS, build_app
from ecommerce.platform.aws import AwsClients
from ecommerce.platform.config import Settings
from ecommerce.platform.messaging.message import Message
from ecommerce.resources import physical, secret_id

pytestmark = pytest.mark.integration

Client = TestClient[web.Request, web.Application]
SECRET = "whsec_integration_one"


@pytest.fixture
async def aws(provisioned: Any) -> AsyncIterator[AwsClients]:
    clients = AwsClients(os.environ["AWS_REGION"])
    yield clients
    await clients.close()


async def queued(aws: AwsClients) -> list[dict[str, Any]]:
    """Everything on the payment-webhooks queue now, taken off it."""
    sqs = await aws.client("sqs")
    url = (await sqs.get_queue_url(QueueName=physical("payment-webhooks")))["QueueUrl"]
    found: list[Any] = []
    while True:
        got = await sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
        )
        messages = got.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(message)
            await sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
async def frontend(aws: AwsClients) -> AsyncIterator[Client]:
    secrets = await aws.client("secretsmanager")
    await secrets.put_secret_value(SecretId=secret_id(WEBHOOK_SECRETS), SecretString=SECRET)
    await queued(aws)
    async with TestClient(TestServer(build_app(Settings.from_env("webhooks")))) as client:
        yield client


def event(event_type: str = "payment_intent.succeeded", **obj: Any) -> bytes:
    body = {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "data": {"object": {"id": "pi_1", "metadata": {"order_id": "o-1"}, **obj}},
    }
    return json.dumps(body).encode()


async def deliver(client: Client, body: bytes, header: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    response = await client.post("/webhooks/payments", data=body, headers=headers)
    return response.status, await response.json()


async def test_a_verified_event_is_queued_with_its_type(frontend: Client, aws: AwsClients) -> None:
    body = event()
    status, answer = await deliver(frontend, body, sign(body, [SECRET], int(time.time())))
    assert (status, answer) == (200, {"received": True})
    [message] = await queued(aws)
    assert message["Body"].encode() == body
    assert message["MessageAttributes"]["event_type"]["StringValue"] == "payment_intent.succeeded"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "t=1,v1=00",
        sign(b"another body", [SECRET], int(time.time())),
        sign(b"{}", ["whsec_forger"], int(time.time())),
    ],
)
async def test_a_forged_event_is_refused_and_nothing_queued(
    frontend: Client, aws: AwsClients, header: str | None
) -> None:
    body = event()
    status, problem = await deliver(frontend, body, header)
    assert status == 400 and problem["title"] == "Invalid signature"
    assert await queued(aws) == []


async def test_a_replayed_old_event_is_refused(frontend: Client, aws: AwsClients) -> None:
    body = event()
    status, problem = await deliver(frontend, body, sign(body, [SECRET], int(time.time()) - 3600))
    assert status == 400 and "tolerance" in problem["detail"]
    assert await queued(aws) == []


async def test_a_rotated_secret_is_taken_without_a_restart(
    frontend: Client, aws: AwsClients
) -> None:
    body = event()
    assert (await deliver(frontend, body, sign(body, [SECRET], int(time.time()))))[0] == 200
    secrets = await aws.client("secretsmanager")
    rolled = f"whsec_rolled_{uuid.uuid4().hex}"
    await secrets.put_secret_value(
        SecretId=secret_id(WEBHOOK_SECRETS), SecretString=f"{SECRET},{rolled}"
    )
    # A payload only the new secret verifies makes the frontend read the secrets again
    # (at most every REREAD_AFTER_SECONDS; none here).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks_api, "REREAD_AFTER_SECONDS", 0.0)
        status, _ = await deliver(frontend, body, sign(body, [rolled], int(time.time())))
    assert status == 200
    assert len(await queued(aws)) == 2


async def test_a_signed_body_that_is_not_an_event_is_refused(
    frontend: Client, aws: AwsClients
) -> None:
    body = b'{"hello": "world"}'
    status, problem = await deliver(frontend, body, sign(body, [SECRET], int(time.time())))
    assert status == 422 and problem["title"] == "Not an event"
    assert {error["field"] for error in problem["errors"]} == {"object", "id", "type"}
    assert await queued(aws) == []


# --- the worker's side ------------------------------------------------------------------------


def message(event_id: str, event_type: str, obj: dict[str, Any]) -> Message:
    body = {"id": event_id, "object": "event", "type": event_type, "data": {"object": obj}}
    return Message(str(uuid.uuid4()), "rh", json.dumps(body), 1, None, {}, None)


async def waiting_payment(ledger: Ledger, order_id: str, intent_id: str) -> None:
    claim = await ledger.claim_charge(order_id, 1500, "EUR")
    assert claim.token is not None
    assert await ledger.require_action(
        order_id,
        claim.token,
        payment_intent_id=intent_id,
        next_action='{"type": "redirect_to_url"}',
        client_secret=f"{intent_id}_secret_x",
    )


def intent(order_id: str, intent_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": intent_id,
        "object": "payment_intent",
        "metadata": {"order_id": order_id},
        **extra,
    }


async def test_events_settle_a_waiting_payment_once_and_never_backwards(dynamodb: Any) -> None:
    ledger, publisher = Ledger(dynamodb, 60), RecordingPublisher()
    events = ProcessorEvents(ledger, publisher)
    order_id, intent_id = f"o-{uuid.uuid4()}", f"pi_{uuid.uuid4().hex}"
    await waiting_payment(ledger, order_id, intent_id)
    succeeded = message("evt_s1", "payment_intent.succeeded", intent(order_id, intent_id))
    failed = message(
        "evt_f1",
        "payment_intent.payment_failed",
        intent(order_id, intent_id, last_payment_error={"code": "card_declined"}),
    )
    await events(succeeded)
    await events(succeeded)  # a duplicate delivery
    await events(failed)  # a late failure after the success
    record = await ledger.get(order_id)
    assert record is not None
    assert (record.status, record.approved) == (PaymentStatus.COMPLETED, True)
    assert record.next_action is None and record.client_secret is None
    mark = await dynamodb.get_item(
        TableName=physical("payments"), Key={"pk": {"S": "WEBHOOK#evt_s1"}}, ConsistentRead=True
    )
    assert int(mark["Item"]["expires_at"]["N"]) > time.time() + 7 * 24 * 3600  # TTL, not forever
    [published] = publisher.events
    assert published.type == "PaymentSucceeded"
    assert published.payload["amount"]["amount"] == 1500


async def test_a_failure_first_wins_over_a_later_success(dynamodb: Any) -> None:
    ledger, publisher = Ledger(dynamodb, 60), RecordingPublisher()
    events = ProcessorEvents(ledger, publisher)
    order_id, intent_id = f"o-{uuid.uuid4()}", f"pi_{uuid.uuid4().hex}"
    await waiting_payment(ledger, order_id, intent_id)
    await events(
        message(
            "evt_f2",
            "payment_intent.payment_failed",
            intent(order_id, intent_id, last_payment_error={"code": "authentication_failure"}),
        )
    )
    await events(message("evt_s2", "payment_intent.succeeded", intent(order_id, intent_id)))
    record = await ledger.get(order_id)
    assert record is not None and record.approved is False
    [published] = publisher.events
    assert published.type == "PaymentFailed"
    assert published.payload["decline_code"] == "authentication_failure"


async def test_a_refund_and_a_dispute_are_recorded(dynamodb: Any) -> None:
    ledger, publisher = Ledger(dynamodb, 60), RecordingPublisher()
    events = ProcessorEvents(ledger, publisher)
    order_id, intent_id = f"o-{uuid.uuid4()}", f"pi_{uuid.uuid4().hex}"
    claim = await ledger.claim_charge(order_id, 1500, "EUR")
    assert claim.token is not None
    await ledger.complete_charge(
        order_id, claim.token, approved=True, payment_intent_id=intent_id, decline_code=None
    )
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": intent_id,
        "metadata": {"order_id": order_id},
        "refunded": True,
        "refunds": {"data": [{"id": "re_dashboard"}]},
    }
    await events(message(f"evt_{uuid.uuid4().hex}", "charge.refunded", charge))
    dispute = {"id": "dp_1", "object": "dispute", "metadata": {"order_id": order_id}}
    await events(message(f"evt_{uuid.uuid4().hex}", "charge.dispute.created", dispute))
    record = await ledger.get(order_id)
    assert record is not None
    assert (record.refund_status, record.refund_id, record.dispute_id) == (
        "REFUNDED",
        "re_dashboard",
        "dp_1",
    )
    assert publisher.events == []


async def test_an_event_for_a_charge_in_flight_is_left_to_the_charge(dynamodb: Any) -> None:
    ledger, publisher = Ledger(dynamodb, 60), RecordingPublisher()
    events = ProcessorEvents(ledger, publisher)
    order_id = f"o-{uuid.uuid4()}"
    assert (await ledger.claim_charge(order_id, 100, "USD")).token is not None
    await events(message("evt_inflight", "payment_intent.succeeded", intent(order_id, "pi_x")))
    assert not await ledger.webhook_seen("evt_inflight")  # looked at again if redelivered
    assert publisher.events == []
