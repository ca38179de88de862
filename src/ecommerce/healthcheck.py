"""The image's Docker HEALTHCHECK: `python -m ecommerce.healthcheck`.

One image runs every deployable, and they listen on different ports: a frontend
(`python -m handlers.<service>`) serves everything, /healthz included, on PORT; a worker
(`python -m workers.<name>`) serves only /healthz and /readyz, on HEALTH_PORT. This reads the
container's main command (process 1) and asks /healthz on the port of its role. A command that
serves nothing (`ecommerce migrate`) is healthy while it runs. Kubernetes uses its own probes
(k8s/base/apps); this serves `docker run` and other plain container runtimes.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

DEFAULT_PORT = 8000
DEFAULT_HEALTH_PORT = 8081


def module_of(command: Sequence[str]) -> str | None:
    """The module a `python -m <module>` command runs, if it is one."""
    for index, argument in enumerate(command[:-1]):
        if argument == "-m":
            return command[index + 1]
    return None


def health_port(command: Sequence[str], env: Mapping[str, str]) -> int | None:
    """The port whose /healthz tells whether this command is alive; None if it serves none."""
    module = module_of(command) or ""
    if module.startswith("workers."):
        return int(env.get("HEALTH_PORT") or DEFAULT_HEALTH_PORT)
    if module.startswith("handlers."):
        return int(env.get("PORT") or DEFAULT_PORT)
    return None


def main() -> int:
    command = Path("/proc/1/cmdline").read_bytes().split(b"\0")
    port = health_port([part.decode() for part in command if part], os.environ)
    if port is None:
        return 0
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
