"""Which AWS operations this process calls, for the least-privilege check of the tests.

With `ECOMMERCE_AWS_CALL_LOG=<dir>` (set by the end-to-end tests, never in production), every
client of `AwsClients` reports each operation it calls, and the set is kept in
`<dir>/<module>.calls` (`python -m workers.payments` writes `workers.payments.calls`), one
`service operation` line each. A test compares them with each deployable's IAM policy.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import threading
from pathlib import Path
from typing import Any

CALL_LOG_ENV = "ECOMMERCE_AWS_CALL_LOG"

_SEEN: set[tuple[str, str]] = set()
"""One set per process, whatever the number of clients and `AwsClients` in it."""
_VERSIONS = itertools.count(1)
_WRITING = threading.Lock()
_written = 0
"""The newest version of the set on disk: the writes run in the executor's threads, one at a
time, and an older one that comes last is dropped (two at once shared one temporary file and
left a torn line in the log)."""


def _module() -> str | None:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    name = getattr(spec, "name", None)
    return str(name) if name else None


class CallLog:
    def __init__(self, folder: Path, module: str) -> None:
        self._file = folder / f"{module}.calls"

    @classmethod
    def from_env(cls) -> CallLog | None:
        folder, module = os.environ.get(CALL_LOG_ENV, "").strip(), _module()
        return cls(Path(folder), module) if folder and module else None

    def watch(self, client: Any) -> None:
        client.meta.events.register("before-call", self._called)

    def _called(self, model: Any, **_: Any) -> None:
        call = (model.service_model.service_name, model.name)
        if call in _SEEN:
            return
        _SEEN.add(call)
        lines = "".join(f"{service} {operation}\n" for service, operation in sorted(_SEEN))
        version = next(_VERSIONS)
        asyncio.get_running_loop().run_in_executor(None, self._write, lines, version)

    def _write(self, lines: str, version: int) -> None:
        global _written
        with _WRITING:
            if version < _written:
                return
            self._file.parent.mkdir(parents=True, exist_ok=True)
            temporary = self._file.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(lines)
            temporary.replace(self._file)
            _written = version
