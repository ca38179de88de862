"""The supervisor with real child processes: restarts with backoff, logs, and a clean stop."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ecommerce.devstack.backoff import Backoff
from ecommerce.devstack.console import Console
from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.process_groups import pid_alive, poll_until
from ecommerce.devstack.processes import Kind, ProcessSpec
from ecommerce.devstack.supervisor import Child, Supervisor

pytestmark = pytest.mark.integration

MODULES = {
    # Runs until told to stop, with a grandchild in its process group.
    "sleeper": """
        import json, os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        with open(os.environ["GRANDCHILD_FILE"], "a") as out:
            out.write(f"{child.pid}\\n")
        print(json.dumps({"event": "sleeping", "level": "info", "port": os.environ.get("PORT")}))
        time.sleep(600)
    """,
    # Dies at once, every time.
    "crasher": """
        print("crashing now")
        raise SystemExit(3)
    """,
    # Ignores SIGTERM: only SIGKILL ends it.
    "stubborn": """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ignoring SIGTERM")
        time.sleep(600)
    """,
}


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    for name, source in MODULES.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    return tmp_path


@pytest.fixture
def output() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
async def supervisor(
    tmp_path: Path, output: io.StringIO
) -> AsyncIterator[tuple[Supervisor, OwnedProcesses]]:
    console = Console(output, color=False)
    owned = OwnedProcesses(tmp_path / "owned.json")
    supervisor = Supervisor(
        console, owned=owned, backoff=Backoff(initial=0.2, maximum=1.0, reset_after=30.0)
    )
    yield supervisor, owned
    await supervisor.stop(grace=2.0)


def add(supervisor: Supervisor, module_dir: Path, name: str, port: int | None = None) -> Child:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(module_dir)
    env["GRANDCHILD_FILE"] = str(module_dir / "grandchildren.txt")
    if port is not None:
        env["PORT"] = str(port)
    spec = ProcessSpec(name, name, Kind.WORKER)
    child = supervisor.add(spec, env=env, port=port, log=module_dir / "logs" / f"{name}.log")
    supervisor.start(child)
    return child


def grandchildren(module_dir: Path) -> list[int]:
    path = module_dir / "grandchildren.txt"
    return [int(line) for line in path.read_text().split()] if path.exists() else []


async def test_a_child_runs_with_its_output_logged_and_echoed(
    supervisor: tuple[Supervisor, OwnedProcesses], module_dir: Path, output: io.StringIO
) -> None:
    runner, owned = supervisor
    child = add(runner, module_dir, "sleeper", port=4321)
    log = module_dir / "logs" / "sleeper.log"
    assert await poll_until(lambda: log.exists() and "sleeping" in log.read_text(), 20.0)
    assert child.running and child.pid is not None and pid_alive(child.pid)
    assert child.pid in owned.pgids()
    assert '"port": "4321"' in log.read_text()  # the file holds the line as written
    assert await poll_until(lambda: "sleeper" in output.getvalue(), 5.0)
    assert "info    sleeping port=4321" in output.getvalue()  # the terminal, rendered


async def test_a_killed_child_is_restarted_with_a_new_pid(
    supervisor: tuple[Supervisor, OwnedProcesses], module_dir: Path, output: io.StringIO
) -> None:
    runner, _ = supervisor
    child = add(runner, module_dir, "sleeper")
    assert await poll_until(lambda: len(grandchildren(module_dir)) == 1, 20.0)
    first = child.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert await poll_until(lambda: child.pid != first and child.running, 20.0)
    assert child.restarts == 1
    assert "sleeper was killed by SIGKILL" in output.getvalue()
    # The dead child's group went with it: its grandchild does not linger.
    assert await poll_until(lambda: not pid_alive(grandchildren(module_dir)[0]), 5.0)


async def test_a_crashing_child_is_restarted_with_growing_delays(
    supervisor: tuple[Supervisor, OwnedProcesses], module_dir: Path, output: io.StringIO
) -> None:
    runner, _ = supervisor
    child = add(runner, module_dir, "crasher")
    assert await poll_until(lambda: child.restarts >= 4, 30.0)
    text = output.getvalue()
    assert "crasher exited with code 3" in text
    delays = [
        line.split("restarting in ")[1].split(" s")[0]
        for line in text.splitlines()
        if "restarting in" in line
    ]
    assert delays[:4] == ["0.2", "0.4", "0.8", "1"]  # doubling, capped at the maximum
    log = (module_dir / "logs" / "crasher.log").read_text()
    assert log.count("crashing now") >= 4


async def test_stop_ends_every_group_even_a_child_ignoring_sigterm(
    supervisor: tuple[Supervisor, OwnedProcesses], module_dir: Path, output: io.StringIO
) -> None:
    runner, owned = supervisor
    sleeper = add(runner, module_dir, "sleeper")
    stubborn = add(runner, module_dir, "stubborn")
    assert await poll_until(
        lambda: (
            len(grandchildren(module_dir)) == 1
            and (module_dir / "logs" / "stubborn.log").exists()
            and "ignoring" in (module_dir / "logs" / "stubborn.log").read_text()
        ),
        20.0,
    )
    pids = [sleeper.pid, stubborn.pid, *grandchildren(module_dir)]

    loop = asyncio.get_running_loop()
    began = loop.time()
    await runner.stop(grace=1.0)
    assert loop.time() - began < 10

    assert not [pid for pid in pids if pid is not None and pid_alive(pid)]
    assert "stubborn did not stop within 1 s: SIGKILL" in output.getvalue()
    assert owned.pgids() == []
    assert not sleeper.running and not stubborn.running
