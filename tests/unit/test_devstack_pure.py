"""The pure parts of the local stack: routing, environments, rendering, backoff, tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from multidict import CIMultiDict

from ecommerce.cli import COMMANDS, build_parser
from ecommerce.devstack.backoff import Backoff
from ecommerce.devstack.command import _redact
from ecommerce.devstack.console_lines import brief_line, escape_controls, render_line
from ecommerce.devstack.demo_data import admin_credentials
from ecommerce.devstack.edge import (
    forward_request_headers,
    forward_response_headers,
    problem,
)
from ecommerce.devstack.environment import (
    Endpoints,
    aws_environment,
    child_environment,
    service_url_variable,
)
from ecommerce.devstack.postgres import database_dsn
from ecommerce.devstack.processes import PROCESSES, Kind
from ecommerce.devstack.provision import queue_policy, redrive_policy, subscription_attributes
from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.devstack.stackfile import ProcessRow, render_table, stack_document
from ecommerce.devstack.state import StateDir
from ecommerce.devstack.supervisor import describe_exit
from ecommerce.edge_routes import EDGE_ROUTES, service_for
from ecommerce.resources import RESOURCES

ENDPOINTS = Endpoints(
    edge="http://127.0.0.1:8080",
    gateway="http://127.0.0.1:9001",
    aws="http://127.0.0.1:9002",
    database="postgresql://postgres@127.0.0.1:9003/ecommerce",
    redis="redis://127.0.0.1:9004/0",
)


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/auth/login", "users"),
        ("/auth", "users"),
        ("/users/me", "users"),
        ("/.well-known/jwks.json", "users"),
        ("/products", "catalog"),
        ("/products/p-1/images", "catalog"),
        ("/categories", "catalog"),
        ("/cart/items/p-1", "cart"),
        ("/orders/o-1/cancel", "orders"),
        ("/orders", "orders"),
        ("/ordersx", None),
        ("/authz", None),
        ("/", "web"),
        ("//x", None),
        ("/ops", "web"),
        ("/ops/api/queues", "web"),
        ("/opsx", None),
        ("/assets/store.js", "web"),
        ("", None),
        ("/healthz", None),
        ("/Products", None),
    ],
)
def test_edge_routes_match_whole_path_segments(path: str, service: str | None) -> None:
    assert service_for(path) == service


def test_the_longest_prefix_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    import ecommerce.edge_routes as routes

    monkeypatch.setattr(routes, "EDGE_ROUTES", (("/orders", "orders"), ("/orders/admin", "admin")))
    assert routes.service_for("/orders/admin/x") == "admin"
    assert routes.service_for("/orders/adminx") == "orders"


def test_every_routed_service_has_a_handler_and_names_are_unique() -> None:
    routed = {service for _, service in EDGE_ROUTES}
    handlers = {spec.service for spec in PROCESSES if spec.kind is Kind.HANDLER}
    assert routed == handlers
    names = [spec.name for spec in PROCESSES]
    assert len(names) == len(set(names))
    assert all(spec.listens == (spec.kind is not Kind.WORKER) for spec in PROCESSES)
    assert next(spec for spec in PROCESSES if spec.kind is Kind.GATEWAY).module == (
        "ecommerce.gateway_sim"
    )


def test_problem_documents_follow_rfc_9457() -> None:
    response = problem(503, "The cart service is restarting.", instance="/cart", retry_after=1)
    assert response.status == 503
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    assert response.text is not None
    assert json.loads(response.text) == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "The cart service is restarting.",
        "instance": "/cart",
    }


def test_request_headers_lose_hop_by_hop_and_gain_forwarding() -> None:
    incoming = CIMultiDict(
        [
            ("Authorization", "Bearer x"),
            ("Idempotency-Key", "k"),
            ("Connection", "keep-alive, X-Private"),
            ("X-Private", "1"),
            ("Keep-Alive", "timeout=5"),
            ("Transfer-Encoding", "chunked"),
            ("Upgrade", "h2c"),
            ("Host", "127.0.0.1:8080"),
            ("Accept", "a"),
            ("Accept", "b"),
        ]
    )
    out = forward_request_headers(incoming, peer="10.0.0.1", host="127.0.0.1:8080", scheme="http")
    assert out["Authorization"] == "Bearer x"
    assert out["Idempotency-Key"] == "k"
    assert out["Host"] == "127.0.0.1:8080"
    assert out.getall("Accept") == ["a", "b"]
    for gone in ("Connection", "X-Private", "Keep-Alive", "Transfer-Encoding", "Upgrade"):
        assert gone not in out
    assert out["X-Forwarded-For"] == "10.0.0.1"
    assert out["X-Forwarded-Proto"] == "http"
    assert out["X-Forwarded-Host"] == "127.0.0.1:8080"
    assert out["X-Amzn-Trace-Id"].startswith("Root=1-")


def test_response_headers_keep_repeated_ones() -> None:
    incoming = CIMultiDict(
        [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Transfer-Encoding", "chunked")]
    )
    out = forward_response_headers(incoming)
    assert out.getall("Set-Cookie") == ["a=1", "b=2"]
    assert "Transfer-Encoding" not in out


def test_backoff_doubles_up_to_a_cap_and_resets_after_a_good_run() -> None:
    backoff = Backoff(initial=1.0, maximum=30.0, reset_after=30.0)
    assert [backoff.delay(n) for n in range(0, 8)] == [0, 1, 2, 4, 8, 16, 30, 30]
    assert backoff.next_failures(5, ran_for=2.0) == 6
    assert backoff.next_failures(5, ran_for=31.0) == 1


def test_exits_are_described_for_people() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "was killed by SIGKILL"
    assert describe_exit(None) == "could not start"


def test_embedded_aws_forces_dummy_credentials() -> None:
    env = aws_environment(
        {"AWS_ACCESS_KEY_ID": "AKIAREAL", "AWS_REGION": "eu-west-1"},
        "http://127.0.0.1:5000",
        embedded=True,
    )
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"


def test_an_external_endpoint_keeps_the_callers_credentials() -> None:
    env = aws_environment(
        {"AWS_ACCESS_KEY_ID": "mine", "AWS_SECRET_ACCESS_KEY": "s"},
        "http://ls:4566",
        embedded=False,
    )
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("mine", "s")
    assert env["AWS_REGION"] == "us-east-1"


def test_child_environment() -> None:
    base = {
        "PATH": "/bin",
        "ECOMMERCE_PREFIX": "dev2",
        "AWS_PROFILE": "prod",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:7000",
        "PORT": "1",
    }
    env = child_environment(
        base,
        ENDPOINTS,
        embedded_aws=True,
        service_urls={"catalog": "http://127.0.0.1:1111", "orders": "http://127.0.0.1:2222"},
        port=3333,
    )
    assert env["PATH"] == "/bin"
    assert env["ECOMMERCE_PREFIX"] == "dev2"
    assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://127.0.0.1:7000"
    assert "AWS_PROFILE" not in env
    assert env["AWS_ENDPOINT_URL"] == ENDPOINTS.aws
    assert env["DATABASE_URL"] == ENDPOINTS.database
    assert env["REDIS_URL"] == ENDPOINTS.redis
    assert env["PAYMENT_GATEWAY_URL"] == ENDPOINTS.gateway
    assert env["CATALOG_URL"] == "http://127.0.0.1:1111"
    assert env["ORDERS_URL"] == "http://127.0.0.1:2222"
    assert (env["HOST"], env["PORT"]) == ("127.0.0.1", "3333")
    assert env["PYTHONUNBUFFERED"] == "1"
    worker = child_environment(base, ENDPOINTS, embedded_aws=True, service_urls={}, port=None)
    assert "PORT" not in worker
    assert service_url_variable("payment-gateway") == "PAYMENT_GATEWAY_URL"


def test_json_log_lines_render_readably() -> None:
    line = json.dumps(
        {
            "event": "order_placed",
            "level": "info",
            "timestamp": "2030-01-02T03:04:05.678Z",
            "service": "orders",
            "order_id": "o-1",
            "items": 2,
            "note": "two words",
        }
    )
    assert (
        render_line(line) == '03:04:05 info    order_placed order_id=o-1 items=2 note="two words"'
    )
    assert render_line("plain text") == "plain text"
    assert render_line("{not json") == "{not json"
    failing = json.dumps({"event": "boom", "level": "error", "exception": "Traceback\n  x"})
    assert render_line(failing).splitlines() == ["error   boom", "Traceback", "  x"]
    assert "\x1b[31m" in render_line(failing, color=True)


def test_stack_document_and_table() -> None:
    rows = [
        ProcessRow("postgres", "server", 10, "/s/logs/postgres.log", ENDPOINTS.database),
        ProcessRow("orders", "handler", 11, "/s/logs/orders.log", "http://127.0.0.1:1", 2),
        ProcessRow("orders-worker", "worker", 12, "/s/logs/orders-worker.log"),
    ]
    document = stack_document(rows, ENDPOINTS)
    assert document["endpoints"] == ENDPOINTS.as_dict()
    assert document["processes"][2] == {
        "name": "orders-worker",
        "kind": "worker",
        "pid": 12,
        "log": "/s/logs/orders-worker.log",
        "restarts": 0,
    }
    assert document["processes"][1]["url"] == "http://127.0.0.1:1"
    table = render_table(rows, ENDPOINTS)
    lines = table.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "PID", "URL", "LOG"]
    assert lines[3].split() == ["orders-worker", "worker", "12", "-", "/s/logs/orders-worker.log"]
    assert "edge:      http://127.0.0.1:8080" in table


def test_passwords_are_redacted_from_shown_urls() -> None:
    assert _redact("postgresql://app:s3cret@db:5432/shop") == "postgresql://app:***@db:5432/shop"
    assert _redact("redis://:pw@cache:6379/0") == "redis://:***@cache:6379/0"
    assert _redact("postgresql://postgres@127.0.0.1:5/x") == "postgresql://postgres@127.0.0.1:5/x"
    assert _redact("http://127.0.0.1:5000") == "http://127.0.0.1:5000"


def test_database_dsn_swaps_only_the_database() -> None:
    dsn = "postgresql://u:p@h:5432/postgres?sslmode=disable"
    assert database_dsn(dsn, "shop") == "postgresql://u:p@h:5432/shop?sslmode=disable"


def test_subscription_and_queue_policies() -> None:
    queue = RESOURCES.queue("payments")
    attributes = subscription_attributes(queue)
    assert attributes["RawMessageDelivery"] == "true"
    assert json.loads(attributes["FilterPolicy"]) == {"event_type": sorted(queue.event_types)}
    redrive = json.loads(redrive_policy("arn:dlq", queue))
    assert redrive == {"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 5}
    statement = json.loads(queue_policy("arn:q", "arn:t"))["Statement"][0]
    assert statement["Resource"] == "arn:q"
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": "arn:t"}}


def test_admin_credentials_default_only_when_unset() -> None:
    assert admin_credentials({}) == (DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD, True)
    chosen = {"ECOMMERCE_ADMIN_EMAIL": "a@b.c", "ECOMMERCE_ADMIN_PASSWORD": "pw"}
    assert admin_credentials(chosen) == ("a@b.c", "pw", False)


def test_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECOMMERCE_STATE_DIR", raising=False)
    assert StateDir.from_env(tmp_path).root == tmp_path / ".devstack"
    monkeypatch.setenv("ECOMMERCE_STATE_DIR", "elsewhere")
    state = StateDir.from_env(tmp_path)
    assert state.root == tmp_path / "elsewhere"
    assert state.stack_file == tmp_path / "elsewhere" / "stack.json"
    assert state.log_file("orders") == tmp_path / "elsewhere" / "logs" / "orders.log"


def test_cli_has_dev_and_migrate() -> None:
    assert {"dev", "migrate"} <= set(COMMANDS)
    parser = build_parser()
    args = parser.parse_args(["dev", "--port", "9999", "--reset", "--no-start"])
    assert (args.port, args.reset, args.start, args.quiet) == (9999, True, False, False)
    args = parser.parse_args(["migrate", "--database-url", "postgresql://x/y"])
    assert args.database_url == "postgresql://x/y"


def test_the_default_admin_password_passes_the_users_password_policy() -> None:
    from ecommerce.users.domain import check_password_policy

    check_password_policy(DEFAULT_ADMIN_PASSWORD, DEFAULT_ADMIN_EMAIL)


def record_line(**fields: object) -> str:
    return json.dumps({"timestamp": "2030-01-02T03:04:05.678Z", "level": "info", **fields})


def test_the_brief_console_shows_one_line_per_request_and_event_and_no_metric_documents() -> None:
    request = record_line(
        event="http_request",
        method="GET",
        path="/orders/o-1",
        route="/orders/{id}",
        status=200,
        duration_ms=12.4,
        request_id="r-1",
    )
    assert brief_line(request) == "03:04:05 GET /orders/o-1 -> 200 (12 ms)"
    reserved = record_line(
        event="stock_reserved", event_type="OrderPlaced", order_id="o-1", message_id="m-1"
    )
    shown = brief_line(reserved)
    assert shown == "03:04:05 info    stock_reserved event_type=OrderPlaced order_id=o-1"
    assert brief_line(record_line(event="message_handled", event_type="OrderPlaced")) is None
    emf = json.dumps({"_aws": {"CloudWatchMetrics": []}, "Latency": [1.0] * 300})
    assert brief_line(emf) is None
    assert brief_line(record_line(event="http_request", method="GET", path="/readyz")) is None
    assert brief_line(record_line(event="cache_miss", level="debug")) is None
    assert brief_line("") is None
    assert brief_line("plain text") == "plain text"
    assert "\x1b[31m" in str(brief_line(record_line(event="boom", level="error"), color=True))


def test_control_characters_are_shown_escaped_in_both_consoles() -> None:
    sneaky = record_line(event="http_request", method="GET", path="/a\x00b\x1b[2Jc", status=404)
    assert brief_line(sneaky) == "03:04:05 GET /a\\x00b\\x1b[2Jc -> 404"
    assert "\x00" not in render_line(sneaky) and "\x1b" not in render_line(sneaky)
    assert render_line("raw \x07 bell\tand tab") == "raw \\x07 bell\tand tab"
    assert escape_controls("\x85next line") == "\\x85next line"
