import asyncio
import json

import pytest

from ecommerce.platform.metrics import (
    HttpMetrics,
    QueueMetrics,
    flush_every,
    heartbeat,
    status_class,
)


def documents(out: str) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


def test_http_metrics_roll_up_by_route_and_status_class(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = HttpMetrics("orders")
    metrics.record("POST /orders", 202, 12.5)
    metrics.record("POST /orders", 202, 7.5)
    metrics.record("POST /orders", 422, 1.0)
    metrics.record("GET /orders/{order_id}", 500, 3.0)
    metrics.flush()
    docs = documents(capsys.readouterr().out)
    by_key = {(d["Route"], d["StatusClass"]): d for d in docs}
    assert by_key[("POST /orders", "2xx")]["Requests"] == 2
    assert by_key[("POST /orders", "2xx")]["Latency"] == [12.5, 7.5]
    assert by_key[("POST /orders", "4xx")]["Requests"] == 1
    assert by_key[("GET /orders/{order_id}", "5xx")]["Service"] == "orders"
    directives = docs[0]["_aws"]["CloudWatchMetrics"]
    assert directives[0]["Namespace"] == "Ecommerce"
    assert ["Service", "StatusClass"] in directives[0]["Dimensions"]
    assert directives[1]["Metrics"] == [{"Name": "Latency", "Unit": "Milliseconds"}]
    metrics.flush()
    assert documents(capsys.readouterr().out) == []


def test_queue_metrics_name_what_the_alarms_read(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = QueueMetrics("payments", service="payments-worker")
    metrics.received(40.0)
    metrics.succeeded(5.0)
    metrics.received(None)
    metrics.failed()
    metrics.retried()
    metrics.flush()
    [doc] = documents(capsys.readouterr().out)
    assert (doc["Service"], doc["Queue"]) == ("payments-worker", "payments")
    assert doc["MessagesReceived"] == 2 and doc["MessagesSucceeded"] == 1
    assert doc["MessagesFailed"] == 1 and doc["MessagesRetried"] == 1
    assert doc["MessagesDeadLettered"] == 0
    assert doc["HandlerLatency"] == [5.0] and doc["MessageAge"] == [40.0]


@pytest.mark.parametrize(
    ("status", "klass"), [(200, "2xx"), (302, "3xx"), (404, "4xx"), (503, "5xx")]
)
def test_status_class(status: int, klass: str) -> None:
    assert status_class(status) == klass


def test_a_heartbeat_is_one_count_under_the_service(capsys: pytest.CaptureFixture[str]) -> None:
    heartbeat("orders-worker")
    (line,) = capsys.readouterr().out.splitlines()
    document = json.loads(line)
    assert document["Service"] == "orders-worker" and document["Heartbeat"] == 1
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Ecommerce"
    assert directive["Dimensions"] == [["Service"]]
    assert directive["Metrics"] == [{"Name": "Heartbeat", "Unit": "Count"}]


def check_emf(document: dict) -> None:  # type: ignore[type-arg]
    """What CloudWatch requires of a document: every declared metric present, every
    dimension present, at most 100 values per metric."""
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for metric in directive["Metrics"]:
            value = document[metric["Name"]]
            assert not isinstance(value, list) or 1 <= len(value) <= 100, metric
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(document[name], str) for name in dimension_set)


def test_every_request_of_a_busy_minute_reaches_the_emf_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = HttpMetrics("orders")
    samples = [round(0.5 + index * 0.01, 2) for index in range(1234)]
    for sample in samples:
        metrics.record("POST /orders", 202, sample)
    metrics.record("GET /orders", 200, 3.0)
    metrics.flush()
    docs = documents(capsys.readouterr().out)
    for doc in docs:
        check_emf(doc)
    posted = [d for d in docs if d["Route"] == "POST /orders"]
    assert len(posted) == 13
    assert sorted(v for d in posted for v in d["Latency"]) == sorted(samples)
    assert [d["Requests"] for d in posted if "Requests" in d] == [1234]
    assert [d["Requests"] for d in docs if d["Route"] == "GET /orders"] == [1]


def test_every_message_of_a_busy_minute_reaches_the_emf_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = QueueMetrics("payments", service="payments-worker")
    for index in range(250):
        metrics.received(float(index))
        metrics.succeeded(float(index) / 10)
    for _ in range(30):
        metrics.received(None)
    metrics.flush()
    docs = documents(capsys.readouterr().out)
    assert len(docs) == 3
    for doc in docs:
        check_emf(doc)
        assert (doc["Service"], doc["Queue"]) == ("payments-worker", "payments")
    assert sorted(v for d in docs for v in d.get("MessageAge", [])) == [
        float(i) for i in range(250)
    ]
    assert len([v for d in docs for v in d.get("HandlerLatency", [])]) == 250
    assert sum(d.get("MessagesReceived", 0) for d in docs) == 280
    assert [d["MessagesSucceeded"] for d in docs if "MessagesSucceeded" in d] == [250]


async def test_a_quiet_route_is_flushed_by_the_timer(capsys: pytest.CaptureFixture[str]) -> None:
    metrics = HttpMetrics("cart")
    metrics.record("GET /cart", 200, 4.0)  # then nothing more arrives
    flushing = asyncio.create_task(flush_every(metrics, every=0.01))
    try:
        for _ in range(500):
            await asyncio.sleep(0.01)
            out = capsys.readouterr().out
            if out:
                break
    finally:
        flushing.cancel()
    [doc] = documents(out)
    assert (doc["Route"], doc["Requests"], doc["Latency"]) == ("GET /cart", 1, [4.0])
