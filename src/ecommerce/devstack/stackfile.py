"""What runs where: the table printed at start and `stack.json`, kept up to date."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecommerce.devstack.environment import Endpoints


@dataclass(frozen=True)
class ProcessRow:
    name: str
    kind: str
    pid: int | None
    log: str
    url: str | None = None
    restarts: int = 0

    def as_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name, "kind": self.kind, "pid": self.pid}
        if self.url is not None:
            row["url"] = self.url
        row["log"] = self.log
        row["restarts"] = self.restarts
        return row


def stack_document(rows: list[ProcessRow], endpoints: Endpoints) -> dict[str, Any]:
    return {
        "processes": [row.as_dict() for row in rows],
        "endpoints": endpoints.as_dict(),
    }


def render_table(rows: list[ProcessRow], endpoints: Endpoints) -> str:
    headings = ("NAME", "KIND", "PID", "URL", "LOG")
    cells = [(row.name, row.kind, str(row.pid or "-"), row.url or "-", row.log) for row in rows]
    widths = [max(len(text) for text in column) for column in zip(headings, *cells, strict=False)]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in (headings, *cells)
    ]
    lines.append("")
    for name, value in endpoints.as_dict().items():
        lines.append(f"{name + ':':<10} {value or '-'}")
    return "\n".join(lines)
