"""Sampling profiles of a running process with py-spy, summed up by library.

py-spy is not a dependency of the project: `pip install py-spy` into the venv to use
`--profile` of `bench.http` / `bench.saga`. Each profile is py-spy's raw (collapsed) stacks
of the samples in which the process held the GIL (its CPU time, not its waits); the summary
gives, per library, the share of samples whose stack passes through it (inclusive:
a query's time counts for asyncpg and for whatever called it, so shares add up to more than
100 %), and the functions with the most samples of their own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

LIBRARIES = (
    ("asyncpg", "(asyncpg/"),
    ("X-Ray SDK", "(aws_xray_sdk/"),
    ("JWT (PyJWT, cryptography)", "(jwt/"),
    ("logging (structlog, logging)", "(structlog/"),
    ("logging (structlog, logging)", "(logging/"),
    ("aiohttp", "(aiohttp/"),
    ("pydantic", "(pydantic"),
    ("json", "(json/"),
    ("botocore / aiobotocore", "botocore/"),
    ("ecommerce", "(ecommerce/"),
    ("asyncio", "(asyncio/"),
)
"""py-spy names a frame `function (path/relative/to/site-packages.py:line)`."""


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes] | None:
    """Record `pid` for `seconds` into `output` (raw stacks); None without py-spy."""
    binary = py_spy()
    if binary is None:
        return None
    return subprocess.Popen(
        [
            binary,
            "record",
            "--format",
            "raw",
            "--rate",
            "200",
            "--nonblocking",
            "--duration",
            str(int(seconds)),
            "--pid",
            str(pid),
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize(raw: Path, top: int = 15) -> dict[str, Any]:
    """Inclusive share of samples per library, and the functions most often on top."""
    samples = 0
    libraries: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = stack.split(";")
        seen = {name for name, marker in LIBRARIES for frame in frames if marker in frame}
        for name in seen:
            libraries[name] += count
        leaves[frames[-1]] += count
    if not samples:
        return {"samples": 0}
    return {
        "samples": samples,
        "inclusive_share_by_library": {
            name: round(count / samples, 3) for name, count in libraries.most_common()
        },
        "top_self": [
            {"frame": frame, "share": round(count / samples, 3)}
            for frame, count in leaves.most_common(top)
        ],
    }
