import json
import random

import pytest

from ecommerce.events import OrderConfirmed, PoisonMessage, follow_up, new_event, outcome_id
from ecommerce.events.envelope import parse_envelope, parse_payload
from ecommerce.platform.messaging.backoff import CAP_SECONDS, retry_delay
from ecommerce.platform.messaging.message import Message


def test_backoff_grows_with_receives_and_is_capped() -> None:
    rng = random.Random(7)
    first = [retry_delay(1, rng) for _ in range(50)]
    fifth = [retry_delay(5, rng) for _ in range(50)]
    huge = [retry_delay(40, rng) for _ in range(50)]
    assert all(1 <= d <= 1 for d in first)
    assert all(8 <= d <= 16 for d in fifth)
    assert len(set(fifth)) > 1, "jittered"
    assert all(CAP_SECONDS / 2 <= d <= CAP_SECONDS for d in huge)


def test_envelope_round_trip() -> None:
    event = new_event(OrderConfirmed(order_id="o-1"), producer="orders", correlation_id="o-1")
    parsed = parse_envelope(event.model_dump_json())
    assert parse_payload(parsed) == OrderConfirmed(order_id="o-1")


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"id": "x"}),
        json.dumps(
            {
                "id": "1",
                "type": "NoSuchEvent",
                "version": 1,
                "occurred_at": "2026-01-01T00:00:00Z",
                "producer": "p",
                "correlation_id": "o",
                "payload": {},
            }
        ),
        json.dumps(
            {
                "id": "1",
                "type": "OrderConfirmed",
                "version": 9,
                "occurred_at": "2026-01-01T00:00:00Z",
                "producer": "p",
                "correlation_id": "o",
                "payload": {"order_id": "o"},
            }
        ),
        json.dumps(
            {
                "id": "1",
                "type": "OrderConfirmed",
                "version": 1,
                "occurred_at": "2026-01-01T00:00:00Z",
                "producer": "p",
                "correlation_id": "o",
                "payload": {"order_id": 5, "extra": True},
            }
        ),
    ],
)
def test_poison_messages_are_named_poison(body: str) -> None:
    with pytest.raises(PoisonMessage):
        parse_payload(parse_envelope(body))


def test_follow_up_ids_are_stable_per_cause_and_type() -> None:
    cause = new_event(OrderConfirmed(order_id="o-1"), producer="x", correlation_id="o-1")
    first = follow_up(OrderConfirmed(order_id="o-1"), cause=cause, producer="y")
    again = follow_up(OrderConfirmed(order_id="o-1"), cause=cause, producer="y")
    assert first.id == again.id == outcome_id(cause.id, "OrderConfirmed")
    assert first.causation_id == cause.id and first.correlation_id == "o-1"


def test_message_reads_sqs_attributes() -> None:
    message = Message.from_sqs(
        {
            "MessageId": "m",
            "ReceiptHandle": "r",
            "Body": "{}",
            "Attributes": {"ApproximateReceiveCount": "3", "SentTimestamp": "1000"},
            "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": "X"}},
        }
    )
    assert message.receive_count == 3
    assert message.attributes == {"event_type": "X"}
    assert message.age_ms(1500) == 500
