"""Crash points for the chaos tests: proof that a crash at any line loses nothing.

`ECOMMERCE_CRASH_AT=<point>` makes the process kill itself with SIGKILL the first time it
reaches that point; `ECOMMERCE_CRASH_MARKER=<file>` records that it did, so the restarted
process runs on. Unset (always, outside the chaos tests), a crash point does nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

_AT = os.environ.get("ECOMMERCE_CRASH_AT", "")
_MARKER = os.environ.get("ECOMMERCE_CRASH_MARKER", "")


def crash_point(name: str) -> None:
    if not _AT or name != _AT:
        return
    marker = Path(_MARKER) if _MARKER else None
    if marker is not None:
        if marker.exists():
            return
        marker.write_text(name)
    os.kill(os.getpid(), signal.SIGKILL)
