"""What `provision()` made on LocalStack, read back through localstack-client's session.

The integration and end-to-end tiers run against LocalStack too (`make test-localstack`);
these check the wiring itself on LocalStack: redrive, raw filtered subscriptions, bucket,
secrets, and an event going from the topic to exactly the queues that subscribe to its type.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from ecommerce.events import OrderConfirmed, new_event
from ecommerce.payments.credentials import KEY_SECRET, parse_api_key
from ecommerce.payments.webhook_signature import parse_secrets
from ecommerce.payments.webhooks_api import WEBHOOK_SECRETS
from ecommerce.platform.messaging.publisher import Outgoing
from ecommerce.resources import RESOURCES, physical, secret_id

pytestmark = pytest.mark.integration


@pytest.fixture
def clients(localstack_session: Any, provisioned: str) -> dict[str, Any]:
    return {
        name: localstack_session.client(name) for name in ("sqs", "sns", "s3", "secretsmanager")
    }


def queue_url(sqs: Any, name: str) -> str:
    return str(sqs.get_queue_url(QueueName=physical(name))["QueueUrl"])


def test_every_queue_has_its_dlq_and_redrive(clients: dict[str, Any]) -> None:
    sqs = clients["sqs"]
    for queue in RESOURCES.queues:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url(sqs, queue.name), AttributeNames=["All"]
        )["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(physical(queue.dlq_name))
        assert int(redrive["maxReceiveCount"]) == queue.max_receive_count
        assert int(attributes["VisibilityTimeout"]) == queue.visibility_timeout


def test_bucket_and_secrets_exist(clients: dict[str, Any]) -> None:
    for bucket in RESOURCES.buckets:
        clients["s3"].head_bucket(Bucket=physical(bucket))
    for secret in RESOURCES.secrets:
        value = clients["secretsmanager"].get_secret_value(SecretId=secret_id(secret.name))
        text = value["SecretString"]
        if secret.name == KEY_SECRET:
            assert parse_api_key(text).startswith("sk_test_")
        elif secret.name == WEBHOOK_SECRETS:
            assert parse_secrets(text)
        else:
            assert json.loads(text)["keys"]


def test_an_event_reaches_exactly_the_queues_subscribed_to_its_type(
    clients: dict[str, Any],
) -> None:
    sqs, sns = clients["sqs"], clients["sns"]
    topic_arn = sns.create_topic(Name=physical(RESOURCES.topic))["TopicArn"]
    order_id = str(uuid.uuid4())
    message = Outgoing.of(
        new_event(OrderConfirmed(order_id=order_id), producer="test", correlation_id=order_id)
    )
    sns.publish(TopicArn=topic_arn, Message=message.body, MessageAttributes=message.attributes())
    wanted = {q.name for q in RESOURCES.queues if "OrderConfirmed" in q.event_types}
    assert wanted == {"inventory"}
    for queue in RESOURCES.queues:
        url = queue_url(sqs, queue.name)
        found: list[Any] = []
        deadline = time.monotonic() + (10 if queue.name in wanted else 2)
        while time.monotonic() < deadline and not found:  # LocalStack delivers in the background
            received = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            found = [m for m in received if order_id in m["Body"]]
            for m in received:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        assert bool(found) == (queue.name in wanted), queue.name
        if found:
            assert json.loads(found[0]["Body"])["id"] == message.id  # raw delivery
