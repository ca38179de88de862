"""The terminal and the log files, written by one thread so the event loop never blocks on them.

Every child's output goes, line by line, to its log file unchanged, and is echoed to the
terminal prefixed with the child's name: briefly by default, every line with `verbose`
(`console_lines` says what each shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO, cast

import structlog

from ecommerce.devstack.console_lines import brief_line, render_line

SUPERVISOR = "devstack"

_COLORS = ("36", "33", "35", "32", "34", "96", "93", "95", "92", "94")


@dataclass(eq=False)
class LogFile:
    path: Path
    handle: BinaryIO = field(repr=False)


@dataclass(frozen=True)
class _Write:
    log: LogFile | None
    data: bytes
    text: str | None


@dataclass(frozen=True)
class _Close:
    log: LogFile


_Item = _Write | _Close | None


class Console:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        echo: bool = True,
        color: bool | None = None,
        verbose: bool = True,
    ) -> None:
        self._stream = stream or sys.stdout
        self._echo = echo
        self._verbose = verbose
        if color is None:
            color = self._stream.isatty() and "NO_COLOR" not in os.environ
        self._color = color
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._colors: dict[str, str] = {}
        self.name_width = 16
        self.own_log: LogFile | None = None
        """Where the supervisor's own lines go besides the terminal."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="devstack-console", daemon=True)
        self._thread.start()

    async def aclose(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    def say(self, message: str, name: str = SUPERVISOR) -> None:
        """A progress line of the supervisor's own."""
        text = "\n".join(self._prefix(name) + line for line in message.splitlines() or [""])
        self._emit(_Write(self.own_log, (message + "\n").encode(), text))

    def output(self, name: str, line: bytes, log: LogFile | None, echo: bool = True) -> None:
        """One line a child wrote: into its log file as is, onto the terminal rendered."""
        text = None
        if echo and self._echo:
            decoded = line.decode("utf-8", "replace").rstrip("\r\n")
            rendered = (
                render_line(decoded, self._color)
                if self._verbose
                else brief_line(decoded, self._color)
            )
            if rendered is not None:
                text = "\n".join(
                    self._prefix(name) + part for part in rendered.splitlines() or [""]
                )
        self._emit(_Write(log, line, text))

    async def open_log(self, path: Path) -> LogFile:
        def _open() -> LogFile:
            path.parent.mkdir(parents=True, exist_ok=True)
            return LogFile(path, path.open("ab"))

        return await asyncio.to_thread(_open)

    def close_log(self, log: LogFile) -> None:
        self._emit(_Close(log))

    def _prefix(self, name: str) -> str:
        label = f"{name:<{self.name_width}} | "
        if not self._color:
            return label
        color = self._colors.setdefault(name, _COLORS[len(self._colors) % len(_COLORS)])
        if name == SUPERVISOR:
            color = "1"
        return f"\x1b[{color}m{label}\x1b[0m"

    def _emit(self, item: _Write | _Close) -> None:
        if self._thread is not None:
            self._queue.put(item)
            return
        log = _apply(item, self._stream)
        with contextlib.suppress(OSError, ValueError):
            if log is not None:
                log.handle.flush()
            self._stream.flush()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            # Take what else is queued too, and flush once per batch.
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            touched: set[LogFile] = set()
            for item in batch:
                if item is None:
                    self._flush(touched)
                    return
                log = _apply(item, self._stream)
                if log is not None:
                    touched.add(log)
            self._flush(touched)

    def _flush(self, touched: set[LogFile]) -> None:
        try:
            for log in touched:
                if not log.handle.closed:
                    log.handle.flush()
            self._stream.flush()
        except (OSError, ValueError):
            pass


def _apply(item: _Write | _Close, stream: TextIO) -> LogFile | None:
    """Carry out one write or close; returns the log file written to, if any."""
    try:
        if isinstance(item, _Close):
            item.log.handle.close()
            return None
        if item.text is not None:
            stream.write(item.text + "\n")
        if item.log is not None and item.data and not item.log.handle.closed:
            item.log.handle.write(item.data)
            return item.log
    except (OSError, ValueError):
        pass  # a closed terminal or a full disk must not take the supervisor down
    return None


class ConsoleStream:
    """A text stream whose lines become a process's output lines (for structlog's logger)."""

    def __init__(self, console: Console, name: str = SUPERVISOR) -> None:
        self._console = console
        self._name = name
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._console.output(self._name, (line + "\n").encode(), self._console.own_log)
        return len(text)

    def flush(self) -> None:
        pass


def route_structlog(console: Console, name: str = SUPERVISOR) -> None:
    """Send this process's structlog lines (the services' functions it calls log) through
    the console, rendered like every child's lines."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(
            file=cast(TextIO, ConsoleStream(console, name))
        ),
        cache_logger_on_first_use=False,
    )
