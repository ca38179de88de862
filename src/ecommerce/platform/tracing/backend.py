"""What a tracing back end does for `ecommerce.platform.tracing`, and the trace header both speak.

The facade decides (sampling rules, failures always kept) and the back end records: it opens a
span as the current one, fills it, ends it, and writes the current trace as an X-Ray header
(`Root=...;Parent=...;Sampled=...`) for the messages an event carries. Two back ends exist:
`xray` (the X-Ray SDK) and `otel` (OpenTelemetry exporting OTLP to an ADOT collector).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

import aiohttp

TRACE_HEADER = "X-Amzn-Trace-Id"

SpanKind = Literal["server", "consumer"]
"""A span that starts work in this process: an HTTP request, or one message."""


@dataclass(frozen=True)
class TraceHeader:
    """An X-Ray trace header; `sampled` is None when no decision travels with it."""

    root: str | None = None
    parent: str | None = None
    sampled: bool | None = None

    @classmethod
    def parse(cls, raw: str | None) -> TraceHeader:
        fields: dict[str, str] = {}
        for part in (raw or "").split(";"):
            key, _, value = part.strip().partition("=")
            fields[key] = value
        flag = fields.get("Sampled")
        return cls(
            root=fields.get("Root") or None,
            parent=fields.get("Parent") or None,
            sampled=None if flag not in ("0", "1") else flag == "1",
        )

    def text(self) -> str:
        parts = [f"Root={self.root}"]
        if self.parent:
            parts.append(f"Parent={self.parent}")
        if self.sampled is not None:
            parts.append(f"Sampled={int(self.sampled)}")
        return ";".join(parts)


class Span(Protocol):
    """The span a back end opened; a span that is not sampled records nothing."""

    @property
    def root(self) -> str:
        """Its trace's id, in X-Ray's form (`1-<8 hex>-<24 hex>`)."""
        ...

    def put_http(
        self,
        *,
        method: str | None = None,
        url: str | None = None,
        client_ip: str | None = None,
        status: int | None = None,
    ) -> None: ...

    def put_error(self, error: BaseException) -> None: ...

    def put_fault(self) -> None:
        """Mark it failed with no exception to tell (a message that was not sent)."""
        ...

    def annotate(self, annotations: Mapping[str, str]) -> None: ...

    def end(self) -> None: ...


class Backend(Protocol):
    service: str

    def begin(
        self,
        kind: SpanKind,
        name: str,
        trace: TraceHeader,
        sampled: bool,
        started: float | None = None,
    ) -> Span:
        """Open a span as the current one, continuing `trace` (a new trace if it has no root);
        `started` (epoch seconds) backdates it."""
        ...

    def forwarding(self, name: str, trace: TraceHeader) -> tuple[Span, str]:
        """A span for forwarding one message of a sampled trace (the outbox relay), not made
        the current one, and the header to send the message with: its parent is that span."""
        ...

    def current_header(self) -> str | None:
        """The current span's trace as an X-Ray header; None outside any trace."""
        ...

    def annotate(self, annotations: Mapping[str, str]) -> None:
        """Searchable key-values on the current span (X-Ray annotations)."""
        ...

    def local(self, name: str, remote: bool) -> AbstractAsyncContextManager[None]:
        """A child span timing a piece of work inside the current span."""
        ...

    def client_trace_configs(self) -> list[aiohttp.TraceConfig]:
        """aiohttp client hooks that record outgoing calls and pass the trace on."""
        ...
