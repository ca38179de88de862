"""The chaos soak, shortened for CI (`soak.py`; `make soak` runs the full one): 150 orders from
6 customers on the shared stack while workers, the relay and frontends are killed, the AWS
emulator and PostgreSQL are paused and the connections cut. Runs last: it leaves the stack
up, but with every process restarted at least once.

At the end every order is CONFIRMED or CANCELLED, `ecommerce audit` is clean across the whole
stack (this test's orders and every earlier test's), and what clients saw fail is only what the
faults explain: 503 while the database is away, 502 for a request in flight in a frontend
killed with SIGKILL (the client sends it again with the same Idempotency-Key), never a 500 and
never a connection error (the edge always answers).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from devstack_runner import RunningStack
from soak import Plan, soak

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


async def test_a_short_soak_loses_nothing_and_the_audit_is_clean(
    stack: RunningStack, stack_environ: dict[str, str], tmp_path: Path
) -> None:
    result = await soak(
        stack, stack_environ, Plan(orders=150, customers=6, pause=1.2, settle_within=240), tmp_path
    )
    summary = json.dumps({k: v for k, v in result.items() if k != "audit"}, indent=2)
    print(summary)
    assert result["orders_lost"] == 0, summary
    unexplained = {
        kind: count
        for kind, count in result["client_errors"].items()
        if not kind.endswith((" 502", " 503", " 504"))
    }
    assert unexplained == {}, summary
    assert result["replays_differing"] == 0, summary
    assert result["audit_exit"] == 0, json.dumps(result["audit"], indent=2)
    assert result["faults"], summary
