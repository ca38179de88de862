"""Least privilege, checked: each deployable's Terraform IAM policy allows exactly the actions
and resources it declares in infra/iam/permissions.json; its role trusts only its Kubernetes
service account; and `check_recorded_calls` flags run-time calls a policy would refuse."""

from __future__ import annotations

import pytest

pytest.importorskip("hcl2", reason="python-hcl2 is needed to read the Terraform (dev extra)")

from infra_iam import (
    OPERATION_ACTIONS,
    TRANSACTION_ITEM_ACTIONS,
    Grant,
    app_iam,
    check_recorded_calls,
    compare,
    declarations,
    declared_grants,
    terraform_grants,
    unexercised,
)

from ecommerce.resources import RESOURCES

KNOWN_KINDS = {"handler", "worker", "platform"}


def test_declarations_are_well_formed() -> None:
    logical = (
        {f"table/{t.name}" for t in RESOURCES.tables}
        | {
            f"table/{t.name}/index/{i.name}"
            for t in RESOURCES.tables
            for i in getattr(t, "gsis", ())
        }
        | {f"queue/{q.name}" for q in RESOURCES.queues}
        | {f"dlq/{q.name}" for q in RESOURCES.queues}
        | {f"topic/{RESOURCES.topic}"}
        | {f"bucket/{b}/*" for b in RESOURCES.buckets}
        | {f"secret/{s.name}" for s in RESOURCES.secrets}
        | {"log-group/application/*", "dbuser/orders", "*"}
    )
    for name, deployable in declarations().items():
        assert deployable["kind"] in KNOWN_KINDS, name
        assert deployable["service_account"] and deployable["namespace"], name
        for grant in declared_grants()[name]:
            assert grant.resource in logical, f"{name}: unknown resource {grant.resource}"
            # IAM actions are PascalCase, but for RDS IAM authentication's rds-db:connect.
            cased = grant.action[:1].isupper() or (grant.service, grant.action) == (
                "rds-db",
                "connect",
            )
            assert cased and ":" not in grant.action, f"{name}: {grant}"
            operation = (grant.service, grant.action)
            assert operation not in OPERATION_ACTIONS, f"{name}: {grant} is an operation"
            assert operation not in TRANSACTION_ITEM_ACTIONS, f"{name}: {grant} is no IAM action"


def test_every_handler_and_worker_is_declared() -> None:
    modules = {d.get("module") for d in declarations().values()}
    for module in (
        "handlers.users",
        "handlers.catalog",
        "handlers.cart",
        "handlers.orders",
        "workers.inventory",
        "workers.orders",
        "workers.payments",
        "workers.images",
        "workers.outbox_relay",
    ):
        assert module in modules, f"{module} declares no AWS calls in permissions.json"


def test_terraform_policies_allow_exactly_the_declared_calls() -> None:
    problems = compare(declared_grants(), terraform_grants())
    assert not problems, "\n".join(problems)


def test_compare_reports_missing_and_extra_grants() -> None:
    declared = {"users-api": {Grant("dynamodb", "GetItem", "table/users")}}
    allowed = {"users-api": {Grant("dynamodb", "Scan", "table/users")}}
    problems = compare(declared, allowed)
    assert problems == [
        "users-api: calls dynamodb:GetItem on table/users, which its IAM policy does not allow",
        "users-api: its IAM policy allows dynamodb:Scan on table/users, which it does not use",
    ]
    extra_resource = {
        "users-api": {Grant("dynamodb", "GetItem", "table/products")} | declared["users-api"]
    }
    assert compare(declared, extra_resource) == [
        "users-api: its IAM policy allows dynamodb:GetItem on table/products, which it does not use"
    ]


def test_each_role_trusts_only_its_service_account() -> None:
    module = app_iam()
    trust = module.block("data", "aws_iam_policy_document", "trust").body
    for name, deployable in declarations().items():
        each = {
            "key": name,
            "value": {
                "namespace": deployable["namespace"],
                "service_account": deployable["service_account"],
            },
        }
        (statement,) = module.evaluate(trust["statement"], each)
        assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
        conditions = {c["variable"]: c["values"] for c in statement["condition"]}
        assert conditions == {
            "OIDC_ISSUER:sub": [
                f"system:serviceaccount:{deployable['namespace']}:{deployable['service_account']}"
            ],
            "OIDC_ISSUER:aud": ["sts.amazonaws.com"],
        }


def test_roles_come_from_the_declarations_and_get_only_their_policy() -> None:
    module = app_iam()
    source = module._locals_source
    assert "iam/permissions.json" in source["declarations"]
    role = module.block("resource", "aws_iam_role", "deployable").body
    assert role["for_each"] == "${local.deployables}"
    attached = module.block("resource", "aws_iam_role_policy", "deployable").body
    assert attached["for_each"] == "${local.policies}"
    assert attached["role"] == "${aws_iam_role.deployable[each.key].id}"
    assert set(module.local("policies")) == set(declarations())
    # Nothing else in the module grants permissions, but the load balancer controller's
    # upstream policy (outside permissions.json, see docs/deploy.md).
    granting = {
        (b.labels[0], b.labels[1])
        for b in module.blocks_of("resource")
        if b.labels[0]
        in {"aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy"}
    }
    assert granting == {
        ("aws_iam_role_policy", "deployable"),
        ("aws_iam_role_policy_attachment", "lb_controller"),
    }


# --- recorded calls (the end-to-end suite's botocore hook feeds check_recorded_calls) --------


def test_recorded_calls_within_the_policies_pass() -> None:
    recorded = {
        ("workers.payments", "sqs", "ReceiveMessage"),
        ("workers.payments", "sqs", "DeleteMessageBatch"),
        ("workers.payments", "sqs", "ChangeMessageVisibilityBatch"),
        ("workers.payments", "sqs", "SendMessage"),
        ("workers.inventory", "dynamodb", "TransactWriteItems"),
        ("payments-worker", "dynamodb", "PutItem"),
        ("workers.outbox_relay", "sns", "PublishBatch"),
        ("handlers.users", "secretsmanager", "GetSecretValue"),
        ("handlers.catalog", "s3", "HeadObject"),
    }
    assert check_recorded_calls(recorded) == []


def test_recorded_calls_outside_the_policies_fail() -> None:
    recorded = {
        ("workers.orders", "sns", "Publish"),
        ("handlers.cart", "dynamodb", "GetItem"),
        ("handlers.orders", "dynamodb", "TransactWriteItems"),
        ("workers.images", "sqs", "DeleteMessageBatch"),
        ("workers.ghost", "sqs", "ReceiveMessage"),
    }
    assert check_recorded_calls(recorded) == [
        "cart-api: called dynamodb:GetItem, which its IAM policy does not allow",
        "orders-api: called dynamodb:TransactWriteItems, but its IAM policy allows none of "
        "ConditionCheckItem, DeleteItem, PutItem, UpdateItem",
        "orders-worker: called sns:Publish, which its IAM policy does not allow",
        "workers.ghost: not a deployable of permissions.json",
    ]


def test_recorded_calls_against_a_given_policy_map() -> None:
    allowed = {"orders-worker": {Grant("sqs", "DeleteMessage", "queue/orders")}}
    recorded = [
        ("orders-worker", "sqs", "DeleteMessageBatch"),
        ("orders-worker", "sqs", "ReceiveMessage"),
    ]
    assert check_recorded_calls(recorded, allowed) == [
        "orders-worker: called sqs:ReceiveMessage, which its IAM policy does not allow"
    ]
    assert check_recorded_calls(recorded[:1], allowed) == []


def test_unexercised_lists_declared_actions_no_call_used() -> None:
    recorded = [("cart-api", "secretsmanager", "GetSecretValue")]
    report = unexercised(recorded)
    assert "cart-api" not in report
    assert report["orders-worker"] == {
        "rds-db:connect",
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
    }
