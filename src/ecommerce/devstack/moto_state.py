"""What an emulator holds, kept on disk so that `ecommerce dev` after Ctrl-C finds it again.

moto keeps everything in memory: its backends (one `BackendDict` per service, by account and
region). `snapshot` pickles the backends in use into one file (written aside, then renamed, so
a crash never leaves half a file); `restore` puts them back before the server takes its first
request. The emulator process (`moto_main`) restores at start, snapshots every few seconds while
requests come in, and once more on SIGTERM, after the services have stopped.

A snapshot is a pickle of moto's own objects, so it is read only by the moto release that wrote
it; another release starts empty and says so (the stack then provisions and seeds afresh, as on
a first run). The file is the stack's own, under its state directory, like PostgreSQL's data.

Locks cannot be pickled: moto's SQS queues hold a `threading.Condition`, S3 keys a `Lock`.
They are written as "a new one" and come back unlocked, as nothing holds them at start.
"""

from __future__ import annotations

import copyreg
import io
import logging
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto import __version__ as moto_version
from moto.backends import get_backend
from moto.core.base_backend import BackendDict

log = logging.getLogger(__name__)

_ATTEMPTS = 5
"""Pickling while a request thread changes a dict can fail; the next attempt usually passes."""

_FRESH: dict[type, Callable[[Any], tuple[Any, tuple[()]]]] = {
    threading.Condition: lambda _: (threading.Condition, ()),
    type(threading.Lock()): lambda _: (threading.Lock, ()),
    type(threading.RLock()): lambda _: (threading.RLock, ()),
    type(threading.Event()): lambda _: (threading.Event, ()),
}


def _dumps(document: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, **_FRESH}
    pickler.dump(document)
    return buffer.getvalue()


_OWN_ATTRIBUTES = {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
"""What every `BackendDict` has; a service's own subclass may hold more (S3: which account owns
each bucket name), which is kept with its backends."""


def _in_use() -> dict[str, dict[str, Any]]:
    """The services that hold something, by service name: their backends by account and region,
    and the extra attributes of their `BackendDict`."""
    return {
        backends.service_name: {
            "accounts": {account: dict(regions) for account, regions in backends.items()},
            "extra": {k: v for k, v in vars(backends).items() if k not in _OWN_ATTRIBUTES},
        }
        for backends in list(BackendDict._instances)  # type: ignore[misc]
        if backends
    }


def snapshot(path: Path) -> int:
    """Write what the emulator holds to `path`; the number of bytes written."""
    for attempt in range(_ATTEMPTS):
        try:
            data = _dumps({"moto": moto_version, "services": _in_use()})
            break
        except RuntimeError:  # "dictionary changed size during iteration"
            if attempt == _ATTEMPTS - 1:
                raise
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(path.name + ".writing")
    aside.write_bytes(data)
    os.replace(aside, path)
    return len(data)


def restore(path: Path) -> list[str]:
    """Put back what `path` holds; the services restored (none if there is no snapshot)."""
    if not path.exists():
        return []
    try:
        document = pickle.loads(path.read_bytes())  # the stack's own file
    except Exception as error:
        log.warning("emulator state %s unreadable (%s): starting empty", path, error)
        return []
    if document.get("moto") != moto_version:
        log.warning(
            "emulator state %s was written by moto %s, this is %s: starting empty",
            path,
            document.get("moto"),
            moto_version,
        )
        return []
    restored = []
    for service, held in document["services"].items():
        backends = get_backend(service)
        backends.clear()
        vars(backends).update(held["extra"])
        for account, regions in held["accounts"].items():
            by_region = backends[account]  # creates the account's backend and registers it
            by_region.clear()
            by_region.update(regions)
        restored.append(service)
    return sorted(restored)


class Snapshots:
    """Snapshots while the emulator serves: every `interval` seconds, if a request came in."""

    def __init__(self, path: Path, interval: float, hold: threading.Lock | None = None) -> None:
        self._path = path
        self._interval = interval
        self._hold = hold
        """Held while pickling: the lock DynamoDB requests take, so a snapshot is consistent."""
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._writing = threading.Lock()
        """One snapshot at a time: the last one, at stop, may come while a timed one runs."""
        self._thread = threading.Thread(target=self._run, name="moto-snapshots", daemon=True)

    def touched(self) -> None:
        self._changed.set()

    def start(self) -> None:
        if self._interval > 0:
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self._changed.is_set():
                self._changed.clear()
                try:
                    self.write()
                except Exception:
                    log.exception("emulator snapshot failed; the next one tries again")
                    self._changed.set()

    def write(self) -> int:
        with self._writing:
            if self._hold is None:
                return snapshot(self._path)
            with self._hold:
                return snapshot(self._path)

    def final(self) -> int:
        """The last snapshot, at shutdown."""
        self._stop.set()
        return self.write()
