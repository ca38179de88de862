"""`ecommerce trace`'s tree: a header, service names for HTTP calls, AWS operations, events,
outcomes in words, and the outbox relay between the request and the workers."""

from __future__ import annotations

from typing import Any

from ecommerce.ops.traces import LEGEND, build_trees, render, service_names

TRACE = "1-00000001-000000000000000000000001"


def segment(id: str, name: str, start: float, end: float, **more: Any) -> dict[str, Any]:
    return {"trace_id": TRACE, "id": id, "name": name, "start_time": start, "end_time": end, **more}


DOCUMENTS = [
    segment(
        "a1",
        "orders",
        100.0,
        100.008,
        annotations={"order_id": "o-1"},
        subsegments=[{"id": "a2", "name": "postgres", "start_time": 100.001, "end_time": 100.007}],
    ),
    segment("r1", "outbox-relay", 100.050, 100.060, parent_id="a1"),
    segment(
        "p1",
        "payments-worker",
        100.100,
        100.200,
        parent_id="r1",
        error=True,
        annotations={"event_type": "InventoryReserved", "order_id": "o-1"},
        subsegments=[
            {
                "id": "p2",
                "name": "127.0.0.1",
                "namespace": "remote",
                "start_time": 100.110,
                "end_time": 100.120,
                "error": True,
                "http": {
                    "request": {
                        "url": "http://127.0.0.1:9001/v1/payment_intents",
                        "method": "POST",
                    },
                    "response": {"status": 402},
                },
            },
            {
                "id": "p3",
                "name": "dynamodb",
                "namespace": "aws",
                "start_time": 100.130,
                "end_time": 100.140,
                "aws": {"operation": "PutItem"},
            },
        ],
    ),
]


def test_the_tree_names_services_calls_and_outcomes() -> None:
    names = service_names(
        {
            "processes": [{"name": "orders", "url": "http://127.0.0.1:9002"}],
            "endpoints": {"gateway": "http://127.0.0.1:9001", "edge": "http://127.0.0.1:8080"},
        }
    )
    lines = render(build_trees(DOCUMENTS, {TRACE}, names), "o-1")
    assert lines[0] == f"trace {TRACE} (order o-1)"
    assert lines[1].split() == ["start", "took", "outcome", "span"]
    assert lines[-1] == LEGEND
    spans = [line.split(maxsplit=5)[-1] for line in lines[2:-1]]
    assert spans == [
        "ok       orders",
        "ok         postgres",
        "ok         outbox-relay",
        "error        payments-worker InventoryReserved",
        "error          payment-gateway POST /v1/payment_intents 402",
        "ok             dynamodb PutItem",
    ]


def test_an_unknown_host_keeps_its_name() -> None:
    lines = render(build_trees(DOCUMENTS, {TRACE}))
    assert any(line.endswith("127.0.0.1 POST /v1/payment_intents 402") for line in lines)
