"""Booting and stopping `ecommerce dev` for the end-to-end tests (see conftest.py).

`boot_stack` runs `python -m ecommerce.cli dev --port <free port>` with a temporary
`ECOMMERCE_STATE_DIR`, waits (bounded) for `stack.json` and for the edge to report every routed
service of the stack healthy, and returns a `RunningStack` (`.edge` is the base URL, `.stack`
the parsed `stack.json`). `stop_stack` sends a signal and asserts that the command exited
cleanly and that no process of the stack is left: neither a pid `stack.json` ever listed nor
any process carrying the stack's state directory in its environment (embedded servers included).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

from ecommerce.devstack.ports import free_port
from ecommerce.devstack.process_groups import pid_alive

REPO = Path(__file__).resolve().parents[2]
BOOT_WITHIN = 90.0
READY_WITHIN = 60.0
STOP_WITHIN = 45.0


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    state_dir: Path
    edge: str
    output: Path
    stack: dict[str, Any] = field(default_factory=dict)
    seen_pids: set[int] = field(default_factory=set)

    def read(self) -> dict[str, Any]:
        """stack.json as it is now (every pid it lists is remembered for the final check)."""
        document: dict[str, Any] = json.loads((self.state_dir / "stack.json").read_text())
        self.seen_pids.update(p["pid"] for p in document["processes"] if p.get("pid"))
        return document

    def pids(self) -> dict[str, int]:
        return {p["name"]: p["pid"] for p in self.read()["processes"]}

    def output_tail(self, lines: int = 80) -> str:
        """The supervisor's own lines and any error, without the request chatter."""
        text = self.output.read_text(errors="replace") if self.output.exists() else ""
        kept = [
            line
            for line in text.splitlines()
            if line.startswith("devstack") or "error" in line.lower() or "Traceback" in line
        ]
        return f"(full output: {self.output})\n" + "\n".join(kept[-lines:])


def http_get(url: str, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def processes_of(state_dir: Path) -> list[int]:
    """Live processes whose environment names this state directory: the stack's, all of it."""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            named = process.environ().get("ECOMMERCE_STATE_DIR") == str(state_dir)
        except (psutil.Error, OSError):
            continue
        if named and pid_alive(process.pid):
            found.append(process.pid)
    return found


def boot_stack(env: Mapping[str, str], state_dir: Path, port: int | None = None) -> RunningStack:
    port = port or free_port()
    output = state_dir.parent / f"{state_dir.name}-output.txt"
    child_env = dict(env)
    child_env["ECOMMERCE_STATE_DIR"] = str(state_dir)
    child_env["NO_COLOR"] = "1"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ecommerce.cli", "dev", "--port", str(port)],
            cwd=REPO,
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = RunningStack(process, state_dir, f"http://127.0.0.1:{port}", output)
    try:
        _wait_until_ready(stack)
    except BaseException:
        _kill(stack)
        raise
    return stack


def _wait_until_ready(stack: RunningStack) -> None:
    deadline = time.monotonic() + BOOT_WITHIN
    while not (stack.state_dir / "stack.json").exists():
        if stack.process.poll() is not None:
            pytest.fail(
                f"ecommerce dev exited with {stack.process.returncode}:\n{stack.output_tail()}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"no stack.json within {BOOT_WITHIN} s:\n{stack.output_tail()}")
        time.sleep(0.2)
    stack.stack = stack.read()
    deadline = time.monotonic() + READY_WITHIN
    last = ""
    while True:
        try:
            status, _, body = http_get(f"{stack.edge}/readyz", timeout=5)
            last = body.decode(errors="replace")
            if status == 200:
                return
        except OSError as error:
            last = repr(error)
        if stack.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the edge never reported ready (last: {last}):\n{stack.output_tail()}")
        time.sleep(0.3)


def stop_stack(stack: RunningStack, sig: int = signal.SIGINT) -> None:
    """Stop the stack with `sig` and assert that nothing of it is left running."""
    with contextlib.suppress(OSError, ValueError):
        stack.read()
    stack.process.send_signal(sig)
    try:
        code = stack.process.wait(timeout=STOP_WITHIN)
    except subprocess.TimeoutExpired:
        _kill(stack)
        pytest.fail(f"ecommerce dev did not stop within {STOP_WITHIN} s:\n{stack.output_tail()}")
    assert code == 0, f"ecommerce dev exited with {code}:\n{stack.output_tail()}"
    deadline = time.monotonic() + 5
    while True:
        alive = sorted(pid for pid in stack.seen_pids if pid_alive(pid))
        leftovers = processes_of(stack.state_dir)
        if not alive and not leftovers:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"left running: pids {alive}, processes {leftovers}\n{stack.output_tail()}")
        time.sleep(0.2)
    assert not (stack.state_dir / "stack.json").exists(), "stack.json outlived the stack"
    assert not (stack.state_dir / "owned.json").exists(), "owned.json outlived the stack"


def _kill(stack: RunningStack) -> None:
    """Last resort after a failure: end the command and everything of its stack."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait()
    for pid in processes_of(stack.state_dir):
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
