"""The payments worker's job written for Celery 5 with kombu's SQS transport: the peer of
`workers.payments` in `bench.peer`. It runs in the benchmarks' own environment (.venv-bench,
`requirements-bench.lock`), not in the project's.

Per message it does the same I/O as ours: claim the ledger row (a conditional PutItem), charge
at the gateway simulator (an HTTP POST with an idempotency key), complete the row (UpdateItem),
publish PaymentSucceeded (SNS Publish). Clients are created once per process, as Celery's
documentation advises; boto3 clients and urllib3's pool are thread-safe, for the threads pool.

    python -m bench.peer_celery enqueue COUNT        # the orders to charge, as Celery tasks
    python -m celery -A bench.peer_celery worker --pool prefork --concurrency 2

Settings come from the environment (`PEER_*`, `AWS_*`), set by `bench.peer`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import boto3
import urllib3
from botocore.exceptions import ClientError
from celery import Celery

QUEUE = "peer-payments"

app = Celery("peer")
app.conf.update(
    broker_url=os.environ.get("PEER_BROKER_URL", "sqs://"),
    broker_transport_options={
        "region": os.environ.get("AWS_REGION", "us-east-1"),
        "is_secure": False,
        "wait_time_seconds": 20,
        "visibility_timeout": 60,
    },
    task_default_queue=QUEUE,
    task_acks_late=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)

_lock = threading.Lock()
_shared: dict[str, Any] = {}


def _clients() -> dict[str, Any]:
    """One boto3 session's clients and one HTTP pool per process (created on first use)."""
    with _lock:
        if _shared.get("pid") != os.getpid():
            session = boto3.session.Session()
            _shared.update(
                pid=os.getpid(),
                dynamodb=session.client("dynamodb"),
                sns=session.client("sns"),
                http=urllib3.PoolManager(maxsize=32),
            )
        return _shared


def charge(payload: dict[str, Any]) -> str:
    clients = _clients()
    order_id = str(payload["order_id"])
    table = os.environ["PEER_TABLE"]
    key = {"pk": {"S": f"PAYMENT#{order_id}"}}
    token = uuid.uuid4().hex
    now = int(time.time())
    try:
        clients["dynamodb"].put_item(
            TableName=table,
            Item={
                **key,
                "order_id": {"S": order_id},
                "status": {"S": "INPROGRESS"},
                "claim": {"S": token},
                "lease_until": {"N": str(now + 60)},
            },
            ConditionExpression="attribute_not_exists(pk) OR (#s = :p AND lease_until < :now)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":p": {"S": "INPROGRESS"}, ":now": {"N": str(now)}},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return "already claimed"
        raise
    answer = clients["http"].request(
        "POST",
        os.environ["PEER_GATEWAY_URL"] + "/v1/payment_intents",
        body=urlencode(
            [
                ("amount", str(payload["total"]["amount"])),
                ("currency", str(payload["total"]["currency"]).lower()),
                ("payment_method", str(payload["payment_token"])),
                ("confirm", "true"),
                ("metadata[order_id]", order_id),
            ]
        ),
        headers={
            "Authorization": "Bearer sk_test_local",
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": f"charge-{order_id}",
        },
        timeout=10.0,
    )
    intent = json.loads(answer.data)
    clients["dynamodb"].update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET #s = :c, approved = :a, payment_intent_id = :pi",
        ConditionExpression="#s = :p AND claim = :claim",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={
            ":c": {"S": "COMPLETED"},
            ":p": {"S": "INPROGRESS"},
            ":claim": {"S": token},
            ":a": {"BOOL": intent.get("status") == "succeeded"},
            ":pi": {"S": str(intent.get("id", ""))},
        },
    )
    outcome = {"order_id": order_id, "payment_id": intent.get("id"), "amount": payload["total"]}
    clients["sns"].publish(
        TopicArn=os.environ["PEER_TOPIC_ARN"],
        Message=json.dumps({"type": "PaymentSucceeded", "payload": outcome}),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": "PaymentSucceeded"}},
    )
    return "charged"


charge_task = app.task(name="charge")(charge)


def enqueue(count: int) -> None:
    for number in range(count):
        payload = {
            "order_id": f"celery-{uuid.uuid4().hex}-{number}",
            "total": {"amount": 1999, "currency": "USD"},
            "payment_token": "tok_visa",
        }
        app.send_task("charge", args=[payload], queue=QUEUE)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "enqueue":
        enqueue(int(sys.argv[2]))
    else:
        sys.exit("usage: python -m bench.peer_celery enqueue COUNT")
