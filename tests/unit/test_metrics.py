import json

import pytest

from ecommerce.platform.metrics import HttpMetrics, QueueMetrics, heartbeat, status_class


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
