"""Least privilege: what each deployable declares it calls, against what Terraform allows it.

The declarations live in infra/iam/permissions.json; the policies in
infra/terraform/modules/app-iam/policies.tf, one `aws_iam_policy_document` per deployable.
Both name resources logically (`table/users`, `queue/orders`, `bucket/product-images/*`, ...):
the policies are evaluated with every ARN variable replaced by that logical name.

`check_recorded_calls` is the hook for the end-to-end suite: give it the (deployable, service,
operation) triples a botocore event hook saw, and it returns every call that the deployable's
Terraform policy would refuse.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from infra_tf import MODULES, REPO, Module, Unsupported, locals_of

PERMISSIONS = REPO / "infra" / "iam" / "permissions.json"
APP_IAM = MODULES / "app-iam"

# API operations authorized by another action's permission (the IAM action differs from the
# operation name). Everything else is authorized by the action of the same name.
OPERATION_ACTIONS: dict[tuple[str, str], str] = {
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sns", "PublishBatch"): "Publish",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "CopyObject"): "PutObject",
    ("dynamodb", "TransactGetItems"): "GetItem",
}

# DynamoDB transactions have no IAM action of their own: each item inside is authorized by its
# own action. A hook that sees only the operation name is checked for "at least one of these";
# one that reads TransactItems should record ("dynamodb", "PutItem") etc. per item instead.
TRANSACTION_ITEM_ACTIONS: dict[tuple[str, str], frozenset[str]] = {
    ("dynamodb", "TransactWriteItems"): frozenset(
        {"PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"}
    ),
}


@dataclass(frozen=True, order=True)
class Grant:
    """One action on one logical resource, e.g. ("sqs", "ReceiveMessage", "queue/orders")."""

    service: str
    action: str
    resource: str

    def __str__(self) -> str:
        return f"{self.service}:{self.action} on {self.resource}"


def iam_action(service: str, operation: str) -> str:
    """The IAM action (without its service prefix) that authorizes an API operation."""
    return OPERATION_ACTIONS.get((service, operation), operation)


@cache
def declarations() -> dict[str, dict[str, Any]]:
    """permissions.json's deployables: name => kind, module, namespace, service_account, calls."""
    document = json.loads(PERMISSIONS.read_text(encoding="utf-8"))
    deployables: dict[str, dict[str, Any]] = document["deployables"]
    return deployables


def declared_grants() -> dict[str, set[Grant]]:
    grants: dict[str, set[Grant]] = {}
    for name, deployable in declarations().items():
        grants[name] = {
            Grant(call["service"], action, resource)
            for call in deployable["calls"]
            for action in call["actions"]
            for resource in call["resources"]
        }
    return grants


def deployable_name(name_or_module: str) -> str:
    """`users-api` stays; a module path such as `handlers.users` maps to its deployable."""
    if name_or_module in declarations():
        return name_or_module
    for name, deployable in declarations().items():
        if deployable.get("module") == name_or_module:
            return name
    raise KeyError(f"unknown deployable {name_or_module!r}")


# --- the Terraform side -----------------------------------------------------------------------


def logical_variables() -> dict[str, Any]:
    """app-iam's inputs, each ARN replaced by its logical name (from app-resources)."""
    resources = locals_of(MODULES / "app-resources")
    return {
        "prefix": "PREFIX",
        "oidc_provider_arn": "OIDC_PROVIDER",
        "oidc_issuer": "OIDC_ISSUER",
        "table_arns": {name: f"table/{name}" for name in resources["tables"]},
        "queue_arns": {name: f"queue/{name}" for name in resources["queues"]},
        "dlq_arns": {name: f"dlq/{name}" for name in resources["queues"]},
        "topic_arn": f"topic/{resources['topic']}",
        "bucket_arns": {name: f"bucket/{name}" for name in resources["buckets"]},
        "secret_arns": {name: f"secret/{name}" for name in resources["secrets"]},
        "application_log_group_arn_prefix": "log-group/application/",
        "database_user_arn": "dbuser/orders",
        "lb_controller_policy_arn": "LB_CONTROLLER_POLICY",
        "tags": {},
    }


@cache
def app_iam() -> Module:
    return Module(APP_IAM, logical_variables())


def policy_document_grants(document_name: str) -> set[Grant]:
    """The Allow grants of one `data "aws_iam_policy_document"` in app-iam."""
    module = app_iam()
    body = module.block("data", "aws_iam_policy_document", document_name).body
    grants: set[Grant] = set()
    statements = body.get("statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if "dynamic" in body:
        raise Unsupported(f"{document_name}: dynamic statements hide what a policy allows")
    for statement in statements:
        for forbidden in ("not_actions", "not_resources", "condition"):
            if forbidden in statement:
                raise Unsupported(f"{document_name}: {forbidden} is not used in app policies")
        if module.evaluate(statement.get("effect", "Allow"), {}) != "Allow":
            raise Unsupported(f"{document_name}: only Allow statements are expected")
        actions = module.evaluate(statement["actions"], {})
        resources = module.evaluate(statement["resources"], {})
        for qualified in actions:
            service, _, action = str(qualified).partition(":")
            for resource in resources:
                grants.add(Grant(service, action, str(resource)))
    return grants


def policy_map() -> dict[str, str]:
    """app-iam's local.policies: deployable => the policy document it gets."""
    module = app_iam()
    mapping: dict[str, str] = {}
    for deployable, reference in module.local("policies").items():
        # symbolic: data.aws_iam_policy_document.<name>.json
        parts = str(reference).split(".")
        if parts[:2] != ["data", "aws_iam_policy_document"] or parts[-1] != "json":
            raise Unsupported(f"policy of {deployable}: {reference}")
        mapping[deployable] = parts[2]
    return mapping


def terraform_grants() -> dict[str, set[Grant]]:
    """Deployable => what its Terraform IAM policy allows, on logical resources."""
    return {
        deployable: policy_document_grants(document)
        for deployable, document in policy_map().items()
    }


# --- comparisons ------------------------------------------------------------------------------


def compare(declared: Mapping[str, set[Grant]], allowed: Mapping[str, set[Grant]]) -> list[str]:
    """Every difference between declarations and policies, as sentences (empty: they agree)."""
    problems: list[str] = []
    for deployable in sorted(set(declared) | set(allowed)):
        if deployable not in allowed:
            problems.append(f"{deployable}: declared in permissions.json but has no IAM policy")
            continue
        if deployable not in declared:
            problems.append(f"{deployable}: has an IAM policy but declares no calls")
            continue
        for grant in sorted(declared[deployable] - allowed[deployable]):
            problems.append(f"{deployable}: calls {grant}, which its IAM policy does not allow")
        for grant in sorted(allowed[deployable] - declared[deployable]):
            problems.append(f"{deployable}: its IAM policy allows {grant}, which it does not use")
    return problems


def check_recorded_calls(
    recorded: Iterable[tuple[str, str, str]],
    allowed: Mapping[str, set[Grant]] | None = None,
) -> list[str]:
    """Calls seen at run time that the caller's Terraform policy would refuse.

    `recorded` holds (deployable, service, operation) triples, as a botocore
    `before-call.*.*` hook sees them: deployable is its name in permissions.json or its module
    (`workers.payments`), service the botocore service name (`sqs`), operation the API
    operation (`DeleteMessageBatch`). Batch and head operations are mapped to the action that
    authorizes them. The result is empty when every call is allowed.
    """
    policies = terraform_grants() if allowed is None else allowed
    problems: list[str] = []
    for raw_deployable, service, operation in sorted(set(recorded)):
        try:
            deployable = deployable_name(raw_deployable)
        except KeyError:
            problems.append(f"{raw_deployable}: not a deployable of permissions.json")
            continue
        granted = {(g.service, g.action) for g in policies.get(deployable, set())}
        item_actions = TRANSACTION_ITEM_ACTIONS.get((service, operation))
        if item_actions is not None:
            if not any((service, a) in granted for a in item_actions):
                problems.append(
                    f"{deployable}: called {service}:{operation}, but its IAM policy allows "
                    f"none of {', '.join(sorted(item_actions))}"
                )
            continue
        action = iam_action(service, operation)
        if (service, action) not in granted:
            via = "" if action == operation else f" (authorized by {service}:{action})"
            problems.append(
                f"{deployable}: called {service}:{operation}{via}, "
                "which its IAM policy does not allow"
            )
    return sorted(problems)


def unexercised(recorded: Iterable[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Declared actions no recorded call used: worth a look, not a failure (coverage varies)."""
    used: dict[str, set[str]] = {}
    for raw_deployable, service, operation in recorded:
        name = deployable_name(raw_deployable)
        actions = TRANSACTION_ITEM_ACTIONS.get(
            (service, operation), {iam_action(service, operation)}
        )
        used.setdefault(name, set()).update(f"{service}:{action}" for action in actions)
    result: dict[str, set[str]] = {}
    for name, grants in declared_grants().items():
        missing = {f"{g.service}:{g.action}" for g in grants} - used.get(name, set())
        if missing:
            result[name] = missing
    return result
