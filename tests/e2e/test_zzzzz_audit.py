"""`ecommerce audit` on the shared stack once everything before it has run: clean.

Runs last. In `make test` and the LocalStack tier it checks the stores after every story, the
fuzzing and the soak; under `make test-terraform` it runs on the resources Terraform made (the
stack's own provisioning off), found by the names the application gives them, as it would on
AWS with the auditor role.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from devstack_runner import RunningStack
from soak import run_audit

pytestmark = pytest.mark.e2e

SETTLE_WITHIN = 120.0
"""The saga's refunds and releases may still be on their way when the last story returns."""


async def test_the_audit_is_clean_once_the_stack_has_settled(
    stack: RunningStack, stack_environ: dict[str, str], tmp_path: Path
) -> None:
    deadline = time.monotonic() + SETTLE_WITHIN
    while True:
        # --save-baseline only records the stock as it is; nothing compares with it here.
        code, report = await asyncio.to_thread(
            run_audit, stack, stack_environ, tmp_path / "stock.json", True
        )
        if code != 1 or time.monotonic() > deadline:
            break
        await asyncio.sleep(5)
    assert code == 0, json.dumps(report, indent=2)
    names = {check["name"] for check in report["checks"]}
    assert len(names) >= 6, names
    assert all(check["ok"] for check in report["checks"])
