"""OTLP spans as the X-Ray segment documents the local trace file keeps.

The local stand-in takes what the OpenTelemetry back end exports (OTLP/HTTP, protobuf or JSON)
and writes each span as X-Ray would store it after the ADOT collector's `awsxray` exporter: a
span that starts work in a service (server, consumer) is a segment named for the service, any
other span a subsegment under its parent; the attributes listed in `aws.xray.annotations` are
annotations. `ecommerce trace` and the tests then read one format, whichever back end wrote it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

ANNOTATIONS = "aws.xray.annotations"
_SEGMENT_KINDS = (Span.SPAN_KIND_SERVER, Span.SPAN_KIND_CONSUMER)
_REMOTE_KINDS = (Span.SPAN_KIND_CLIENT, Span.SPAN_KIND_PRODUCER)
_ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def parse_request(body: bytes, content_type: str) -> ExportTraceServiceRequest:
    """An OTLP/HTTP trace export, protobuf or JSON (whose ids are hex, not base64);
    ValueError if it is neither."""
    request = ExportTraceServiceRequest()
    try:
        if content_type == "application/json":
            document = json.loads(body)
            _ids_to_base64(document)
            json_format.ParseDict(document, request)
        else:
            request.ParseFromString(body)
    except Exception as error:
        raise ValueError(f"not an OTLP trace export: {error}") from error
    return request


def _ids_to_base64(document: Any) -> None:
    for resource in document.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in _ID_FIELDS:
                    if span.get(key):
                        span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()


def xray_trace_id(trace_id: bytes) -> str:
    digits = trace_id.hex()
    return f"1-{digits[:8]}-{digits[8:]}"


def documents(request: ExportTraceServiceRequest) -> Iterator[dict[str, Any]]:
    for resource_spans in request.resource_spans:
        attributes = _attributes(resource_spans.resource.attributes)
        service = str(attributes.get("service.name", "unknown_service"))
        sdk = {
            "sdk": f"opentelemetry for {attributes.get('telemetry.sdk.language', 'unknown')}",
            "sdk_version": str(attributes.get("telemetry.sdk.version", "")),
        }
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield document(span, service, sdk)


def document(span: Span, service: str, sdk: dict[str, str] | None = None) -> dict[str, Any]:
    attributes = _attributes(span.attributes)
    segment = span.kind in _SEGMENT_KINDS
    found: dict[str, Any] = {
        "trace_id": xray_trace_id(span.trace_id),
        "id": span.span_id.hex(),
        "name": service if segment else span.name,
        "start_time": span.start_time_unix_nano / 1e9,
        "end_time": span.end_time_unix_nano / 1e9,
    }
    if span.parent_span_id:
        found["parent_id"] = span.parent_span_id.hex()
    if segment and sdk is not None:
        found["aws"] = {"xray": sdk}  # as the awsxray exporter writes it
    if not segment:
        found["type"] = "subsegment"
        found["namespace"] = "remote" if span.kind in _REMOTE_KINDS else "local"
    annotated = attributes.pop(ANNOTATIONS, None) or []
    annotations = {key: attributes.pop(key) for key in annotated if key in attributes}
    if annotations:
        found["annotations"] = annotations
    status = next((attributes[k] for k in _STATUS_KEYS if k in attributes), None)
    if attributes.get("rpc.system") == "aws-api":  # an AWS call, as X-Ray shows one
        found["name"] = str(attributes.get("rpc.service", span.name))
        found["aws"] = {"operation": attributes.get("rpc.method")}
    found.update(_http(attributes))
    found.update(_outcome(span, status))
    if attributes:
        found["metadata"] = {"default": attributes}
    return found


_HTTP_FIELDS = (
    ("method", ("http.request.method", "http.method")),
    ("url", ("url.full", "http.url")),
    ("client_ip", ("client.address", "http.client_ip")),
)
_STATUS_KEYS = ("http.response.status_code", "http.status_code")
"""HTTP attributes under the stable semantic conventions and the older ones, which the
instrumentations still write by default."""


def _take(attributes: dict[str, Any], keys: tuple[str, ...]) -> Any:
    found = None
    for key in keys:
        value = attributes.pop(key, None)
        found = value if found is None else found
    return found


def _http(attributes: dict[str, Any]) -> dict[str, Any]:
    request = {}
    for name, keys in _HTTP_FIELDS:
        value = _take(attributes, keys)
        if value is not None:
            request[name] = value
    status = _take(attributes, _STATUS_KEYS)
    if not request and status is None:
        return {}
    found: dict[str, Any] = {"request": request}
    if status is not None:
        found["response"] = {"status": status}
    return {"http": found}


def _outcome(span: Span, status: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if isinstance(status, int) and 400 <= status < 500:
        found["error"] = True
        found["throttle"] = status == 429
    if span.status.code == Status.STATUS_CODE_ERROR or (isinstance(status, int) and status >= 500):
        found["fault"] = True
    exceptions = [
        {
            "type": str(event_attributes.get("exception.type", "")),
            "message": str(event_attributes.get("exception.message", "")),
        }
        for event in span.events
        if event.name == "exception"
        for event_attributes in [_attributes(event.attributes)]
    ]
    if exceptions:
        found["cause"] = {"exceptions": exceptions}
    return found


def _attributes(pairs: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    pair: KeyValue
    for pair in pairs:
        values[pair.key] = _value(pair.value)
    return values


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(item) for item in value.array_value.values]
    if which == "kvlist_value":
        return {pair.key: _value(pair.value) for pair in value.kvlist_value.values}
    if which == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, which) if which else None
