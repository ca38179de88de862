"""One source of truth: Terraform's queues, DLQs, subscriptions and filter policies, tables,
buckets and secrets agree with src/ecommerce/resources.py.

Two layers: the app-resources module (the Terraform twin of resources.py) holds the same data,
and the modules that create the resources, rendered for every queue/table/bucket with a test
prefix, name and configure them as resources.physical()/secret_id() and the Queue fields say.
The environments wire app-resources into those modules through the stack module.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("hcl2", reason="python-hcl2 is needed to read the Terraform (dev extra)")

from infra_tf import (
    ENVIRONMENTS,
    MODULES,
    TERRAFORM,
    Module,
    all_tf_files,
    blocks,
    locals_of,
    parse_file,
)

from ecommerce.resources import RESOURCES

PREFIX = "pfx"


def expected_resources() -> dict[str, Any]:
    return {
        "topic": RESOURCES.topic,
        "queues": {
            q.name: {
                "event_types": list(q.event_types),
                "visibility_timeout": q.visibility_timeout,
                "max_receive_count": q.max_receive_count,
            }
            for q in RESOURCES.queues
        },
        "tables": {
            t.name: {
                "hash_key": t.hash_key,
                "range_key": t.range_key,
                "gsis": [
                    {"name": i.name, "hash_key": i.hash_key, "range_key": i.range_key}
                    for i in getattr(t, "gsis", ())
                ],
                "ttl_attribute": t.ttl_attribute,
            }
            for t in RESOURCES.tables
        },
        "buckets": list(RESOURCES.buckets),
        "bucket_notifications": {
            n.bucket: {"queue": n.queue, "filter_prefix": n.prefix, "events": list(n.events)}
            for n in getattr(RESOURCES, "bucket_notifications", ())
        },
        "secrets": {s.name: {"description": s.description} for s in RESOURCES.secrets},
    }


@pytest.fixture(scope="module")
def declared() -> dict[str, Any]:
    return locals_of(MODULES / "app-resources")


def physical(name: str) -> str:
    return f"{PREFIX}-{name}"


def test_every_terraform_file_parses() -> None:
    files = all_tf_files()
    assert len(files) > 20
    for path in files:
        parse_file(path)


@pytest.mark.parametrize(
    "key", ["topic", "queues", "tables", "buckets", "bucket_notifications", "secrets"]
)
def test_app_resources_module_matches_resources_py(declared: dict[str, Any], key: str) -> None:
    assert declared[key] == expected_resources()[key], (
        f"infra/terraform/modules/app-resources/main.tf local.{key} differs from "
        "src/ecommerce/resources.py: change both together"
    )


@pytest.fixture(scope="module")
def messaging(declared: dict[str, Any]) -> Module:
    return Module(
        MODULES / "messaging",
        {
            "prefix": PREFIX,
            "account_id": "111111111111",
            "topic": declared["topic"],
            "queues": declared["queues"],
            "bucket_notifications": declared["bucket_notifications"],
            "bucket_ids": {b: physical(b) for b in declared["buckets"]},
            "bucket_arns": {b: f"arn:aws:s3:::{physical(b)}" for b in declared["buckets"]},
            "tags": {},
        },
    )


def test_topic(messaging: Module) -> None:
    (topic,) = messaging.instances("aws_sns_topic", "events").values()
    assert topic["name"] == physical(RESOURCES.topic)


def test_queues_and_dlqs(messaging: Module) -> None:
    queues = messaging.instances("aws_sqs_queue", "queue")
    dlqs = messaging.instances("aws_sqs_queue", "dlq")
    assert set(queues) == set(dlqs) == {q.name for q in RESOURCES.queues}
    for queue in RESOURCES.queues:
        rendered = queues[queue.name]
        assert rendered["name"] == physical(queue.name)
        assert rendered["visibility_timeout_seconds"] == queue.visibility_timeout
        assert dlqs[queue.name]["name"] == physical(queue.dlq_name)
        redrive = json.loads(rendered["redrive_policy"])
        assert redrive == {
            "deadLetterTargetArn": f'aws_sqs_queue.dlq["{queue.name}"].arn',
            "maxReceiveCount": queue.max_receive_count,
        }


def test_subscriptions_and_filter_policies(messaging: Module) -> None:
    subscriptions = messaging.instances("aws_sns_topic_subscription", "queue")
    fed = {q.name: q for q in RESOURCES.queues if q.event_types}
    assert set(subscriptions) == set(fed), "exactly the queues with event types are subscribed"
    for name, queue in fed.items():
        subscription = subscriptions[name]
        assert subscription["topic_arn"] == "aws_sns_topic.events.arn"
        assert subscription["endpoint"] == f'aws_sqs_queue.queue["{name}"].arn'
        assert subscription["protocol"] == "sqs"
        assert subscription["raw_message_delivery"] is True
        assert subscription["filter_policy_scope"] == "MessageAttributes"
        policy = json.loads(subscription["filter_policy"])
        assert policy == {"event_type": list(queue.event_types)}


FED_BY_A_FRONTEND = {"payment-webhooks"}
"""Queues a frontend sends to (the webhooks frontend: verified processor events)."""


def test_queues_without_event_types_are_fed_by_a_bucket(
    messaging: Module, declared: dict[str, Any]
) -> None:
    notifications = messaging.instances("aws_s3_bucket_notification", "uploads")
    unfed = {q.name for q in RESOURCES.queues if not q.event_types} - FED_BY_A_FRONTEND
    targets = {n["queue"][0]["queue_arn"]: bucket for bucket, n in notifications.items() if bucket}
    for name in unfed:
        assert f'aws_sqs_queue.queue["{name}"].arn' in targets, f"nothing feeds queue {name}"
    expected = expected_resources()["bucket_notifications"]
    assert set(notifications) == set(expected)
    for bucket, notification in notifications.items():
        assert bucket in RESOURCES.buckets
        assert notification["bucket"] == physical(str(bucket))
        (target,) = notification["queue"]
        assert target["queue_arn"] == f'aws_sqs_queue.queue["{expected[bucket]["queue"]}"].arn'
        assert target["events"] == expected[bucket]["events"]
        assert target["filter_prefix"] == expected[bucket]["filter_prefix"]
        assert target["filter_prefix"], "uploads only, or thumbnails loop"


def test_tables() -> None:
    declared = locals_of(MODULES / "app-resources")
    module = Module(
        MODULES / "dynamodb",
        {"prefix": PREFIX, "tables": declared["tables"], "deletion_protection": True, "tags": {}},
    )
    tables = module.instances("aws_dynamodb_table", "table")
    assert set(tables) == {t.name for t in RESOURCES.tables}
    body = module.block("resource", "aws_dynamodb_table", "table").body
    for table in RESOURCES.tables:
        each = {"key": table.name, "value": declared["tables"][table.name]}
        indexes = module.dynamic(body, "global_secondary_index", each)
        assert indexes == [
            {
                "name": i.name,
                "hash_key": i.hash_key,
                "range_key": i.range_key,
                "projection_type": "ALL",
            }
            for i in getattr(table, "gsis", ())
        ], table.name
        ttl = module.dynamic(body, "ttl", each)
        expected_ttl = [{"attribute_name": table.ttl_attribute, "enabled": True}]
        assert ttl == (expected_ttl if table.ttl_attribute else []), table.name
    # Every key attribute of the table and of its indexes is declared once, as a string.
    (attribute,) = [d["attribute"] for d in body["dynamic"] if "attribute" in d]
    for needed in ("each.value.hash_key", "each.value.range_key", "each.value.gsis"):
        assert needed in attribute["for_each"]
    assert attribute["content"] == [{"name": "${attribute.value}", "type": "S"}]
    for table in RESOURCES.tables:
        rendered = tables[table.name]
        assert rendered["name"] == physical(table.name)
        assert rendered["hash_key"] == table.hash_key
        assert rendered["range_key"] == table.range_key
        assert rendered["point_in_time_recovery"] == [{"enabled": True}]
        assert rendered["server_side_encryption"] == [{"enabled": True}]


def test_buckets() -> None:
    declared = locals_of(MODULES / "app-resources")
    module = Module(
        MODULES / "images-bucket",
        {
            "prefix": PREFIX,
            "buckets": declared["buckets"],
            "access_log_bucket": "logs",
            "cors_allowed_origins": [],
            "force_destroy": False,
            "tags": {},
        },
    )
    buckets = module.instances("aws_s3_bucket", "bucket")
    assert set(buckets) == set(RESOURCES.buckets)
    for name in RESOURCES.buckets:
        assert buckets[name]["bucket"] == physical(name)
    for resource in (
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_policy",
    ):
        module.block("resource", resource, "bucket")


def test_secrets() -> None:
    declared = locals_of(MODULES / "app-resources")
    module = Module(
        MODULES / "secrets",
        {
            "prefix": PREFIX,
            "secrets": declared["secrets"],
            "recovery_window_in_days": 30,
            "tags": {},
        },
    )
    secrets = module.instances("aws_secretsmanager_secret", "secret")
    assert set(secrets) == {s.name for s in RESOURCES.secrets}
    for secret in RESOURCES.secrets:
        assert secrets[secret.name]["name"] == f"{PREFIX}/{secret.name}"


# --- wiring: environment -> stack -> modules -> app-resources ----------------------------------

WIRING = {
    "messaging": {
        "topic": "${module.resources.topic}",
        "queues": "${module.resources.queues}",
        "bucket_notifications": "${module.resources.bucket_notifications}",
        "prefix": "${var.prefix}",
    },
    "tables": {"tables": "${module.resources.tables}", "prefix": "${var.prefix}"},
    "buckets": {"buckets": "${module.resources.buckets}", "prefix": "${var.prefix}"},
    "secrets": {"secrets": "${module.resources.secrets}", "prefix": "${var.prefix}"},
}


def test_stack_wires_app_resources_into_the_modules() -> None:
    """stack -> application (what the emulator apply also uses) -> the modules."""
    stack = {b.labels[0]: b.body for b in blocks(MODULES / "stack") if b.kind == "module"}
    assert stack["application"]["source"] == "../application"
    assert stack["application"]["prefix"] == "${var.prefix}"
    modules = {b.labels[0]: b.body for b in blocks(MODULES / "application") if b.kind == "module"}
    assert modules["resources"]["source"] == "../app-resources"
    for name, arguments in WIRING.items():
        for argument, expression in arguments.items():
            assert modules[name].get(argument) == expression, f"module.{name}.{argument}"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_environments_use_the_stack(environment: str) -> None:
    directory = TERRAFORM / "environments" / environment
    modules = {b.labels[0]: b.body for b in blocks(directory) if b.kind == "module"}
    assert modules["stack"]["source"] == "../../modules/stack"
    assert modules["stack"]["environment"] == environment
    assert modules["stack"]["prefix"] == "${var.prefix}"
