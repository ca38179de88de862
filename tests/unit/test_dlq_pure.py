"""The pure parts of `ecommerce dlq`: reasons, resend entries, names, endpoints, rendering."""

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ecommerce import cli
from ecommerce.ops.dlq import (
    DeadLetter,
    Depth,
    DlqRow,
    RedriveResult,
    UnknownQueue,
    describe,
    exceeded_reason,
    find_declared,
    move_task_unsupported,
    resend_entry,
)
from ecommerce.ops.dlq_command import render_messages, render_result, render_rows
from ecommerce.ops.target import NoEndpoint, resolve_target


def raw_message(
    body: str = "{}",
    *,
    count: int = 1,
    attributes: dict[str, str] | None = None,
    system: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "MessageId": "m-1",
        "ReceiptHandle": "r-1",
        "Body": body,
        "Attributes": {
            "ApproximateReceiveCount": str(count),
            "SentTimestamp": "1700000000000",
            **(system or {}),
        },
        "MessageAttributes": {
            name: {"DataType": "Number" if name == "receive_count" else "String", "StringValue": v}
            for name, v in (attributes or {}).items()
        },
    }


ENVELOPE = json.dumps(
    {
        "id": "e-1",
        "type": "InventoryReserved",
        "version": 1,
        "occurred_at": "2026-01-01T00:00:00Z",
        "producer": "inventory",
        "correlation_id": "o-1",
        "payload": {},
    }
)


def test_the_consumers_reason_and_its_receive_count_are_reported() -> None:
    message = describe(
        raw_message(
            ENVELOPE,
            count=3,  # looked at twice before
            attributes={"failure_reason": "poison: no handler", "receive_count": "1"},
        )
    )
    assert message.reason == "poison: no handler"
    assert message.receives == 1
    assert (message.event_type, message.event_version, message.event_id) == (
        "InventoryReserved",
        1,
        "e-1",
    )
    assert message.correlation_id == "o-1"
    assert message.sent_at == datetime.fromtimestamp(1_700_000_000, UTC)


def test_a_message_moved_by_the_redrive_policy_says_it_exceeded_max_receives() -> None:
    # Five receives in the source queue, then this look counted as a sixth.
    message = describe(raw_message(ENVELOPE, count=6))
    assert message.reason == "exceeded maxReceiveCount (5 receives)"
    assert message.receives == 5
    assert exceeded_reason(5) == "exceeded maxReceiveCount (5 receives)"


def test_the_sqs_mark_of_a_redrive_policy_move_wins_over_a_stale_reason() -> None:
    message = describe(
        raw_message(
            ENVELOPE,
            count=6,
            attributes={"failure_reason": "poison: old", "receive_count": "1"},
            system={"DeadLetterQueueSourceArn": "arn:aws:sqs:us-east-1:1:ecommerce-payments"},
        )
    )
    assert message.receives == 5
    assert message.reason.startswith("exceeded maxReceiveCount (5 receives)")
    assert "poison: old" in message.reason


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", "", '{"type": 3}', "[" * 50_000, '{"a":' * 30_000, "\ufffd"]
)
def test_a_body_that_is_not_an_envelope_has_no_event(body: str) -> None:
    message = describe(raw_message(body, attributes={"failure_reason": "poison: not JSON"}))
    assert message.event_type is None
    assert message.event_id is None
    assert message.reason == "poison: not JSON"


def test_the_event_type_attribute_stands_in_for_an_unreadable_body() -> None:
    message = describe(raw_message("garbage", attributes={"event_type": "OrderPlaced"}))
    assert message.event_type == "OrderPlaced"


def test_a_resend_entry_keeps_the_event_and_drops_the_dead_letter_bookkeeping() -> None:
    raw = raw_message(
        ENVELOPE,
        attributes={
            "event_type": "InventoryReserved",
            "failure_reason": "poison",
            "source_queue": "payments",
            "receive_count": "2",
        },
        system={"AWSTraceHeader": "Root=1-abc-def;Parent=123;Sampled=1"},
    )
    raw["MessageAttributes"]["blob"] = {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
    entry = resend_entry(raw, "7")
    assert entry["Id"] == "7"
    assert entry["MessageBody"] == ENVELOPE
    assert entry["MessageAttributes"] == {
        "event_type": {"DataType": "String", "StringValue": "InventoryReserved"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    assert entry["MessageSystemAttributes"] == {
        "AWSTraceHeader": {
            "DataType": "String",
            "StringValue": "Root=1-abc-def;Parent=123;Sampled=1",
        }
    }


def test_a_resend_entry_without_attributes_has_none() -> None:
    entry = resend_entry(raw_message("x", attributes={"failure_reason": "poison"}), "0")
    assert entry == {"Id": "0", "MessageBody": "x"}


@pytest.mark.parametrize(
    "name", ["payments", "payments-dlq", "ecommerce-payments", "ecommerce-payments-dlq"]
)
def test_a_queue_is_found_by_any_of_its_names(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECOMMERCE_PREFIX", raising=False)
    assert find_declared(name).name == "payments"


def test_an_unknown_queue_names_the_declared_ones() -> None:
    with pytest.raises(UnknownQueue, match="inventory, orders, payments"):
        find_declared("shipping")


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "x"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "StartMessageMoveTask")


def test_what_counts_as_an_endpoint_without_move_tasks() -> None:
    assert move_task_unsupported(client_error("500", 500))  # moto's HTML error page
    assert move_task_unsupported(client_error("InternalFailure", 501))
    assert move_task_unsupported(client_error("InvalidAction", 400))
    assert not move_task_unsupported(client_error("AccessDenied", 403))
    assert not move_task_unsupported(client_error("ResourceNotFoundException", 400))


# --- where the command sends its calls ---------------------------------------------------------


def test_aws_endpoint_url_from_the_environment_is_used_with_the_callers_credentials(
    tmp_path: Path,
) -> None:
    environ = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
        "AWS_ACCESS_KEY_ID": "mine",
        "AWS_REGION": "eu-west-1",
    }
    target = resolve_target(environ, cwd=tmp_path, home=tmp_path)
    assert target.endpoint == "http://127.0.0.1:4566"
    assert target.set_variables == {}
    profile = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_PROFILE": "dev"}
    assert (
        "AWS_ACCESS_KEY_ID"
        not in resolve_target(profile, cwd=tmp_path, home=tmp_path).set_variables
    )


def test_an_endpoint_with_no_credentials_anywhere_gets_the_emulators_dummy_ones(
    tmp_path: Path,
) -> None:
    """LocalStack takes any key; without one the SDK fails with "Unable to locate credentials"."""
    environ = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}
    target = resolve_target(environ, cwd=tmp_path, home=tmp_path)
    env = dict(environ)
    target.apply(env)
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    # A shared credentials file is the caller's choice: it is kept.
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\naws_access_key_id = x\n")
    kept = resolve_target(environ, cwd=tmp_path, home=tmp_path).set_variables
    assert "AWS_ACCESS_KEY_ID" not in kept


def test_the_dev_stacks_endpoint_comes_with_the_emulators_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECOMMERCE_STATE_DIR", raising=False)
    state = tmp_path / ".devstack"
    state.mkdir()
    (state / "stack.json").write_text(
        json.dumps({"endpoints": {"aws": "http://127.0.0.1:5001", "edge": "http://x"}})
    )
    target = resolve_target({"AWS_PROFILE": "prod", "AWS_ACCESS_KEY_ID": "real"}, cwd=tmp_path)
    assert target.endpoint == "http://127.0.0.1:5001"
    env = {"AWS_PROFILE": "prod", "AWS_ACCESS_KEY_ID": "real"}
    target.apply(env)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5001"
    assert env["AWS_ACCESS_KEY_ID"] == "testing"
    assert "AWS_PROFILE" not in env


def test_ecommerce_state_dir_names_where_the_stack_file_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "stack.json").write_text(json.dumps({"endpoints": {"aws": "http://127.0.0.1:7"}}))
    monkeypatch.setenv("ECOMMERCE_STATE_DIR", str(tmp_path))
    assert resolve_target({}, cwd=Path("/")).endpoint == "http://127.0.0.1:7"


def test_the_endpoint_flag_wins_and_aws_means_the_sdks_own(tmp_path: Path) -> None:
    environ = {"AWS_ENDPOINT_URL": "http://a", "AWS_REGION": "eu-west-1"}
    assert resolve_target(environ, endpoint_url="http://b", cwd=tmp_path).endpoint == "http://b"
    real = resolve_target(environ, use_aws=True, cwd=tmp_path)
    assert real.endpoint is None
    env = dict(environ)
    real.apply(env)
    assert "AWS_ENDPOINT_URL" not in env
    assert env["AWS_REGION"] == "eu-west-1"
    assert "AWS_ACCESS_KEY_ID" not in env


def test_no_endpoint_anywhere_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECOMMERCE_STATE_DIR", raising=False)
    with pytest.raises(NoEndpoint, match="make run"):
        resolve_target({}, cwd=tmp_path)


def test_the_command_exits_2_with_a_message_when_there_is_no_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ECOMMERCE_STATE_DIR", str(tmp_path / "nothing"))
    args: argparse.Namespace = cli.build_parser().parse_args(["dlq", "list"])
    assert args.run(args) == 2
    assert "no AWS endpoint" in capsys.readouterr().err


def test_an_unknown_queue_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    args = cli.build_parser().parse_args(["dlq", "show", "shipping"])
    assert args.run(args) == 2
    assert "no declared queue" in capsys.readouterr().err


# --- rendering -----------------------------------------------------------------------------


def test_the_list_is_a_table_with_a_total() -> None:
    text = render_rows(
        [
            DlqRow("inventory", "ecommerce-inventory-dlq", Depth(0, 0)),
            DlqRow("payments", "ecommerce-payments-dlq", Depth(3, 1)),
            DlqRow("images", "ecommerce-images-dlq", None, "does not exist"),
        ]
    )
    lines = text.splitlines()
    assert lines[0].split() == ["QUEUE", "DLQ", "VISIBLE", "IN", "FLIGHT", "DEPTH"]
    assert lines[2].split() == ["payments", "ecommerce-payments-dlq", "3", "1", "4"]
    assert "does not exist" in lines[3]
    assert lines[-1] == "4 dead-lettered message(s) in 3 DLQ(s)"


def test_each_message_shows_its_receives_reason_and_event() -> None:
    message = DeadLetter(
        message_id="m-1",
        receives=5,
        reason="exceeded maxReceiveCount (5 receives)",
        sent_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        event_type="PaymentSucceeded",
        event_version=1,
        event_id="e-9",
        correlation_id="o-7",
        body="{}",
    )
    text = render_messages("ecommerce-orders-dlq", 1, [message], body=True)
    assert "receives 5" in text
    assert "reason   exceeded maxReceiveCount (5 receives)" in text
    assert "event    PaymentSucceeded v1  id e-9  order o-7" in text
    assert "body     {}" in text
    assert render_messages("q", 0, []) == "q: empty"


def test_the_redrive_result_says_what_is_where() -> None:
    done = render_result("d", "s", RedriveResult("manual", moved=3, failed=1, undeleted=2))
    assert done.startswith("redrove 3 message(s) from d to s (receive, send, delete)")
    assert "1 could not be sent and are still in d" in done
    assert "2 were sent but could not be deleted" in done


@pytest.mark.parametrize("count", ["abc", "9" * 5000, "-1", "1.5", ""])
def test_odd_receive_counts_and_attributes_do_not_stop_a_look(count: str) -> None:
    raw = raw_message("x", attributes={"failure_reason": "poison: x", "receive_count": count})
    raw["Attributes"]["ApproximateReceiveCount"] = count
    raw["MessageAttributes"]["blob"] = {"DataType": "Binary", "BinaryValue": b"\x00\xff"}
    del raw["Attributes"]["SentTimestamp"]
    message = describe(raw)
    assert message.reason == "poison: x"
    assert "blob" in message.attributes
    assert "receives" in render_messages("payments-dlq", 1, [message], body=True)


def test_a_body_of_control_characters_is_shown_escaped_on_one_line() -> None:
    hostile = "\x1b[2J\x1b]0;owned\x07line one\nline two\r" + "z" * 10_000
    message = describe(raw_message(hostile, attributes={"failure_reason": "poison:\n\x1b[31m"}))
    text = render_messages("payments-dlq", 1, [message], body=True)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\\x1b[2J" in text and "\\n" in text
    lines = text.splitlines()
    assert len(lines) == 6, lines
    assert lines[-1].startswith("   body ") and "10032 characters in all" in lines[-1]
