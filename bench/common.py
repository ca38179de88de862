"""What every benchmark reports beside its figures: the machine, its load, the commit; and
where results go."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def say(line: str) -> None:
    """Progress, on stderr (results go to stdout and to bench/results/)."""
    print(line, file=sys.stderr, flush=True)


def machine(
    packages: tuple[str, ...] = ("aiobotocore", "botocore", "moto", "aiohttp"),
) -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in packages:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[package] = metadata.version(package)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "load_average_1_5_15": [round(value, 2) for value in os.getloadavg()],
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit or None,
    }


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def write_result(name: str, result: dict[str, Any], output: Path | None = None) -> Path:
    """`bench/results/<name>-<date>.json` (or `output`); returns where it went."""
    path = output or RESULTS / f"{name}-{datetime.now(UTC):%Y-%m-%d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def publish(name: str, result: dict[str, Any], text: str, args: Any) -> int:
    """Print a benchmark's table and write its result (unless `--no-write`); the exit code."""
    print(text)
    if not args.no_write:
        print(f"\nresult written to {write_result(name, result, args.output)}")
    return 0


def output_options(parser: Any) -> None:
    """`--output FILE` and `--no-write`, as every benchmark takes them."""
    parser.add_argument("--output", type=Path, default=None, help="the result file")
    parser.add_argument("--no-write", action="store_true", help="print only, write no JSON")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
