"""Running `ecommerce dev` for a benchmark, and reading its processes' CPU time and memory.

`LocalStack` boots the stack the way a user does (`python -m ecommerce.cli dev --quiet`), in a
temporary state directory, waits for the edge to report every service ready, and stops it
(SIGINT) at the end. CPU time and resident memory are read from `/proc` for every process the
stack lists in `stack.json`, each with its descendants (PostgreSQL's backends count toward
`postgres`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecommerce.devstack.ports import free_port

REPO = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def cpu_seconds(pid: int, *, with_reaped: bool = False) -> float:
    """User + system CPU seconds of a process (and of its reaped children, if asked)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def children_by_parent() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found.setdefault(int(fields[1]), []).append(int(entry.name))
    return found


def tree(pid: int, children: dict[int, list[int]]) -> list[int]:
    """The process and all its descendants (PostgreSQL's backends leave its process group, so
    the tree, not the group, is what belongs to a server)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int, children: dict[int, list[int]]) -> float:
    """CPU of the process and its live descendants, plus what they reaped."""
    return sum(cpu_seconds(member, with_reaped=True) for member in tree(pid, children))


def tree_rss_bytes(pid: int, children: dict[int, list[int]]) -> int:
    return sum(rss_bytes(member) for member in tree(pid, children))


@dataclass
class ProcessSample:
    cpu: dict[str, float]
    rss: dict[str, int]
    at: float = field(default_factory=time.monotonic)


def http_json(
    url: str,
    body: object | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    method: str | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method or ("POST" if data is not None else "GET"),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")


class LocalStack:
    """One `ecommerce dev`, booted for a benchmark and stopped after it."""

    def __init__(self, env: Mapping[str, str] | None = None, boot_within: float = 180.0) -> None:
        self._extra_env = dict(env or {})
        self._boot_within = boot_within
        self._dir = Path(tempfile.mkdtemp(prefix="bench-stack-"))
        self.state_dir = self._dir / "state"
        self.port = free_port()
        self.edge = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.document: dict[str, Any] = {}

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_ENDPOINT", "DATABASE_URL", "REDIS_URL"))
        }
        env.update(self._extra_env)
        env["ECOMMERCE_STATE_DIR"] = str(self.state_dir)
        env["NO_COLOR"] = "1"
        # The emulators' state is written only at stop: a snapshot while the bench runs would
        # hold DynamoDB for its duration (~0.6 s for 5,000 items).
        env.setdefault("ECOMMERCE_EMULATOR_SNAPSHOT_SECONDS", "0")
        output = (self._dir / "output.txt").open("wb")
        with output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ecommerce.cli", "dev", "--quiet", "--port", str(self.port)],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        say(f"  booting ecommerce dev on {self.edge} (state {self.state_dir})")
        deadline = time.monotonic() + self._boot_within
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"ecommerce dev exited:\n{self.output_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the stack was not ready in time:\n{self.output_tail()}")
            with contextlib.suppress(OSError, ValueError):
                status, _ = http_json(f"{self.edge}/readyz", timeout=3)
                if status == 200 and (self.state_dir / "stack.json").exists():
                    break
            time.sleep(0.5)
        self.document = self.read()
        say(f"  stack ready: {len(self.document['processes'])} processes")

    def read(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.state_dir / "stack.json").read_text())
        return document

    def output_tail(self, lines: int = 40) -> str:
        path = self._dir / "output.txt"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def endpoints(self) -> dict[str, str]:
        endpoints: dict[str, str] = self.document["endpoints"]
        return endpoints

    def pids(self) -> dict[str, int]:
        """Every process of the stack by name, the supervisor (`ecommerce-dev`) included."""
        found = {p["name"]: p["pid"] for p in self.read()["processes"] if p.get("pid")}
        if self.process is not None:
            found["ecommerce-dev"] = self.process.pid
        return found

    def url_of(self, name: str) -> str:
        for process in self.read()["processes"]:
            if process["name"] == name and process.get("url"):
                return str(process["url"])
        raise KeyError(name)

    def sample(self) -> ProcessSample:
        """CPU seconds and resident bytes of every process of the stack with its descendants."""
        pids = self.pids()
        children = children_by_parent()
        cpu = {name: tree_cpu_seconds(pid, children) for name, pid in pids.items()}
        rss = {name: tree_rss_bytes(pid, children) for name, pid in pids.items()}
        if self.process is not None:  # the supervisor alone, not the processes it started
            cpu["ecommerce-dev"] = cpu_seconds(self.process.pid)
            rss["ecommerce-dev"] = rss_bytes(self.process.pid)
        return ProcessSample(cpu, rss)

    @contextlib.contextmanager
    def paused(self, names: list[str]) -> Iterator[None]:
        """SIGSTOP the named processes' groups for the block, SIGCONT after."""
        pids = self.pids()
        groups = [pids[name] for name in names if name in pids]
        for pgid in groups:
            os.killpg(pgid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pgid in groups:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGCONT)

    def customers(self, count: int) -> list[str]:
        """Register `count` customers through the edge; their access tokens."""
        tokens = []
        for _ in range(count):
            email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
            password = "Bench-password-2468!"
            status, body = http_json(
                f"{self.edge}/auth/register",
                {"email": email, "password": password, "name": "Bench"},
            )
            if status != 201:
                raise RuntimeError(f"register answered {status}: {body}")
            status, body = http_json(
                f"{self.edge}/auth/login", {"email": email, "password": password}
            )
            if status != 200:
                raise RuntimeError(f"login answered {status}: {body}")
            tokens.append(str(body["access_token"]))
        return tokens

    def products(self, count: int) -> list[str]:
        status, body = http_json(f"{self.edge}/products?limit={count}")
        if status != 200:
            raise RuntimeError(f"GET /products answered {status}")
        return [str(item["id"]) for item in body["items"]]


def cpu_delta(before: ProcessSample, after: ProcessSample) -> dict[str, float]:
    return {
        name: round(after.cpu[name] - before.cpu.get(name, 0.0), 3)
        for name in after.cpu
        if name in before.cpu
    }
