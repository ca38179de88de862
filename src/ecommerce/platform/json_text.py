"""Parsing JSON from outside (request bodies, queue messages, DLQ contents) without surprises.

`json.loads` raises `JSONDecodeError` for bad syntax, `UnicodeDecodeError` for bytes that are
not text, and `RecursionError` for deep nesting (a few thousand `[`), which is not a
`ValueError`. `parse_json` turns every one of them into `NotJson`, so that a caller that
catches it answers 400 or dead-letters the message instead of failing with a traceback.
"""

from __future__ import annotations

import json
from typing import Any


class NotJson(ValueError):
    """The text is not a JSON document this process can read."""


def parse_json(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except RecursionError as error:
        raise NotJson("nested too deeply") from error
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotJson(str(error)) from error
