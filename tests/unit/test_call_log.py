"""The AWS call log of the least-privilege check: whole lines only, the newest set kept."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ecommerce.platform.call_log import CallLog


def test_writes_from_many_threads_leave_whole_lines_and_the_newest_set(tmp_path: Path) -> None:
    log = CallLog(tmp_path, "workers.payments")
    sets = ["".join(f"sqs Operation{i}\n" for i in range(n)) for n in range(1, 200)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(log._write, sets, range(10_001, 10_200)))
    lines = (tmp_path / "workers.payments.calls").read_text().splitlines()
    assert all(len(line.split()) == 2 for line in lines)
    assert len(lines) == 199  # the newest set, whichever thread ran last


def test_an_older_set_written_last_is_dropped(tmp_path: Path) -> None:
    log = CallLog(tmp_path, "workers.orders")
    log._write("sqs A\nsqs B\n", 20_002)
    log._write("sqs A\n", 20_001)
    assert (tmp_path / "workers.orders.calls").read_text() == "sqs A\nsqs B\n"
