"""Log lines: one JSON object each, with the ISO timestamp structlog's TimeStamper writes."""

import json
import logging
import re
import sys
import time
from typing import Any

import pytest
import structlog

from ecommerce.platform.logging import Timestamp, configure_logging, get_logger


def test_the_timestamp_is_iso_utc_with_microseconds() -> None:
    stamp = Timestamp()
    before = time.time()
    first = stamp(None, "info", {})["timestamp"]
    second = stamp(None, "info", {})["timestamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first)
    assert first <= second
    assert time.strftime("%Y-%m-%dT%H:%M", time.gmtime(before)) <= first


def test_a_line_is_one_json_object_with_the_bound_context(
    capfd: pytest.CaptureFixture[str],
) -> None:
    original: dict[str, Any] = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("orders")
        structlog.contextvars.bind_contextvars(order_id="o-1")
        get_logger("test").info("order_placed", total=1999, at=time.gmtime(0)[:3])
        sys.stdout.flush()
        line = capfd.readouterr().out.strip().splitlines()[-1]
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.configure(**original)
        root.handlers[:], root.level = handlers, level
    record = json.loads(line)
    assert record["event"] == "order_placed"
    assert (record["service"], record["order_id"], record["total"]) == ("orders", "o-1", 1999)
    assert record["level"] == "info" and record["timestamp"].endswith("Z")
