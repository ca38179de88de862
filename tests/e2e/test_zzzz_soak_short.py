"""The chaos soak, shortened for CI (`soak.py`; `make soak` runs the full one): 150 orders from
6 customers on the shared stack while workers, the relay and frontends are killed, PostgreSQL
is restarted, paused and its connections cut, the AWS emulators are paused for 10 s and
restarted, 10% of the events are published twice and 5% of the handler runs outsleep their
visibility timeout. Runs last: it leaves the stack up, but with every process restarted at
least once.

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
    faults = result["faults"]
    for kind in (
        "PostgreSQL restarted",
        "PostgreSQL connections cut",
        "AWS emulator paused 10 s",
        "AWS emulator restarted",
        "event published twice (duplicate delivery)",
        "handler slower than its visibility timeout (delivered again)",
    ):
        assert faults.get(kind, 0) > 0 or kind.split()[0] in str(result["faults_skipped"]), summary
    assert any(kind.startswith("SIGKILL") for kind in faults), summary
