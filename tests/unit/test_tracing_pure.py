"""Tracing's pure parts: the X-Ray header, the back-end setting, trace ids in both forms, and
OTLP spans read as the X-Ray documents the local stand-in keeps."""

from __future__ import annotations

import json

import pytest

from ecommerce.devstack.otlp_segments import documents, parse_request
from ecommerce.platform.tracing import backend_choice
from ecommerce.platform.tracing.backend import TraceHeader
from ecommerce.platform.tracing.otel import otel_trace_id, xray_trace_id

ROOT = "1-5f000000-0123456789abcdef01234567"


def test_a_trace_header_reads_and_writes_the_x_ray_form() -> None:
    header = TraceHeader.parse(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1")
    assert header == TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert header.text() == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    assert TraceHeader.parse(f"Root={ROOT}").sampled is None
    assert TraceHeader.parse(f"Root={ROOT};Sampled=?").sampled is None
    assert TraceHeader.parse(None) == TraceHeader()


def test_the_back_end_setting_names_itself_when_wrong() -> None:
    assert backend_choice({}) == "xray"
    assert backend_choice({"ECOMMERCE_TRACING": " OTel "}) == "otel"
    with pytest.raises(ValueError, match=r"ECOMMERCE_TRACING='jaeger'.*xray, otel"):
        backend_choice({"ECOMMERCE_TRACING": "jaeger"})


def test_trace_ids_cross_between_x_ray_and_opentelemetry() -> None:
    number = otel_trace_id(ROOT)
    assert number == 0x5F0000000123456789ABCDEF01234567
    assert xray_trace_id(number) == ROOT
    for malformed in (
        "",
        "2-5f000000-0123456789abcdef01234567",
        "1-5f00-00",
        "1-zzzzzzzz-" + "0" * 24,
    ):
        assert otel_trace_id(malformed) is None


def _export(spans: list[dict[str, object]]) -> bytes:
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "orders"}}]}
    return json.dumps(
        {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]}
    ).encode()


def test_otlp_json_spans_become_segments_and_subsegments() -> None:
    server = {
        "traceId": "5f0000000123456789abcdef01234567",
        "spanId": "00000000000000a1",
        "parentSpanId": "00000000000000f0",
        "name": "orders",
        "kind": 2,  # server
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000500000000",
        "attributes": [
            {"key": "http.request.method", "value": {"stringValue": "POST"}},
            {"key": "http.response.status_code", "value": {"intValue": "503"}},
            {"key": "order_id", "value": {"stringValue": "o-1"}},
            {
                "key": "aws.xray.annotations",
                "value": {"arrayValue": {"values": [{"stringValue": "order_id"}]}},
            },
        ],
        "events": [
            {
                "name": "exception",
                "attributes": [
                    {"key": "exception.type", "value": {"stringValue": "RuntimeError"}},
                    {"key": "exception.message", "value": {"stringValue": "boom"}},
                ],
            }
        ],
    }
    query = {
        "traceId": server["traceId"],
        "spanId": "00000000000000b2",
        "parentSpanId": "00000000000000a1",
        "name": "SELECT",
        "kind": 3,  # client
        "startTimeUnixNano": "1700000000100000000",
        "endTimeUnixNano": "1700000000200000000",
    }
    segment, subsegment = documents(parse_request(_export([server, query]), "application/json"))
    assert segment["trace_id"] == ROOT
    assert (segment["id"], segment["parent_id"], segment["name"]) == (
        "00000000000000a1",
        "00000000000000f0",
        "orders",
    )
    assert segment["start_time"] == 1_700_000_000.0 and segment["end_time"] == 1_700_000_000.5
    assert segment["annotations"] == {"order_id": "o-1"}
    assert segment["http"] == {"request": {"method": "POST"}, "response": {"status": 503}}
    assert segment["fault"] is True
    assert segment["cause"]["exceptions"] == [{"type": "RuntimeError", "message": "boom"}]
    assert subsegment["type"] == "subsegment" and subsegment["namespace"] == "remote"
    assert (subsegment["name"], subsegment["parent_id"]) == ("SELECT", "00000000000000a1")


def test_a_body_that_is_no_otlp_export_is_refused() -> None:
    with pytest.raises(ValueError, match="not an OTLP trace export"):
        parse_request(b"{not json", "application/json")
    with pytest.raises(ValueError, match="not an OTLP trace export"):
        parse_request(b"\xff\xff\xff", "application/x-protobuf")
