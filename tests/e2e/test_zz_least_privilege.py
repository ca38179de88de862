"""Least privilege, from what the services really called during the end-to-end tests.

Every deployable of the stack lists the AWS operations it called (`ECOMMERCE_AWS_CALL_LOG`);
each one must be allowed by that deployable's IAM policy in Terraform. Named `zz` so that it
runs after the other end-to-end tests have exercised the stack.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from devstack_runner import RunningStack

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "infra"))
from infra_iam import check_recorded_calls

pytestmark = pytest.mark.e2e

DEPLOYABLE_MODULES = ("handlers.", "workers.")


def recorded_calls(folder: Path) -> set[tuple[str, str, str]]:
    calls = set()
    for log in folder.glob("*.calls"):
        module = log.name.removesuffix(".calls")
        if not module.startswith(DEPLOYABLE_MODULES):
            continue  # the devstack's own provisioning, not a deployable
        for line in log.read_text().splitlines():
            service, operation = line.split()
            calls.add((module, service, operation))
    return calls


def test_every_call_a_service_made_is_allowed_by_its_iam_policy(
    stack: RunningStack, aws_call_log: Path
) -> None:
    calls = recorded_calls(aws_call_log)
    callers = {module for module, _, _ in calls}
    for expected in ("handlers.users", "handlers.orders", "workers.inventory", "workers.payments"):
        assert expected in callers, f"{expected} recorded no AWS call: {sorted(callers)}"
    assert check_recorded_calls(calls) == []
