"""The web frontend's pure parts: its security headers and an order's timeline."""

from datetime import UTC, datetime

from ecommerce.ops.traces import Span
from ecommerce.web.security import content_security_policy, images_origin, security_headers
from ecommerce.web.timeline import order_entries, span_entries


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_policy_admits_no_inline_script_and_no_other_origin_for_code() -> None:
    policy = directives(content_security_policy("http://127.0.0.1:5000"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in content_security_policy("http://127.0.0.1:5000")
    assert "http://127.0.0.1:5000" in policy["img-src"]


def test_images_come_from_the_s3_endpoint_the_sdk_uses() -> None:
    assert images_origin({}) == "https://*.amazonaws.com"
    assert images_origin({"AWS_ENDPOINT_URL": "http://127.0.0.1:4566/"}) == "http://127.0.0.1:4566"
    both = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_S3": "http://s3:9000"}
    assert images_origin(both) == "http://s3:9000"
    assert images_origin({**both, "WEB_IMAGES_ORIGIN": "https://img.example"}) == (
        "https://img.example"
    )


def test_every_answer_forbids_framing_and_sniffing() -> None:
    headers = security_headers("https://*.amazonaws.com")
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_timeline_tells_each_state_change_with_its_cause_and_reason() -> None:
    order = {
        "history": [
            {
                "from": None,
                "to": "PENDING",
                "reason": None,
                "cause": "placed",
                "at": "2026-01-01T10:00:00+00:00",
            },
            {
                "from": "PENDING",
                "to": "CANCELLED",
                "reason": "payment_declined",
                "cause": "PaymentFailed",
                "at": "2026-01-01T10:00:01+00:00",
            },
        ]
    }
    entries = order_entries(order)
    assert [e.what for e in entries] == ["PENDING", "PENDING → CANCELLED"]
    assert entries[1].detail == "PaymentFailed, reason: payment_declined"
    assert entries[1].at == datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC)


def test_the_timeline_shows_segments_and_their_calls_not_deeper() -> None:
    def span(name: str, start: float, *children: Span) -> Span:
        return Span(name, "t", name, start, start + 0.01, None, "segment", False, list(children))

    root = span("orders", 1.0, span("postgres", 1.001, span("deeper", 1.002)))
    entries = span_entries([root])
    assert [e.what for e in entries] == ["orders", "postgres"]
    assert entries[0].detail == "10.0 ms"
    assert all(e.source == "trace" for e in entries)
