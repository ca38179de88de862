"""Opaque page cursors: where the next page starts, as URL-safe base64 of a small versioned JSON
document `{"v": 1, "k": <position>}`. Every paged listing (products, orders) uses this codec.

Clients must treat a cursor as a token; its content may change between versions, which is why
it carries one. It is not signed: each listing checks that the position has the shape it
issues (`decode_cursor`'s `check`) and stays within what the caller may list anyway, so an
edited cursor can only move where the caller's own listing starts. Anything else is
`InvalidCursor`, which the HTTP layer answers with a 400 problem (`platform.http.middlewares`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, TypeVar

VERSION = 1
MAX_CURSOR_LENGTH = 2048

Position = TypeVar("Position")


class InvalidCursor(ValueError):
    """Not a cursor this service issued; the message says what is wrong, for the client."""


NOT_OURS = "it is not one this service issued: pass `next_cursor` as it came, or leave it out"


def encode_cursor(position: Any) -> str:
    """A cursor for `position`, any JSON value (a key, a list of a timestamp and an id)."""
    document = json.dumps({"v": VERSION, "k": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, check: Callable[[Any], Position]) -> Position:
    """The position `cursor` holds, as `check` reads it; `InvalidCursor` when this is not one
    of our cursors. `check` raises `ValueError` or `TypeError` for a position of another
    shape than the listing issues."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor(f"the cursor is empty or longer than {MAX_CURSOR_LENGTH} characters")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursor(f"the cursor is not base64 of a JSON document: {NOT_OURS}") from error
    if not isinstance(document, dict) or "k" not in document:
        raise InvalidCursor(f"the cursor holds no position: {NOT_OURS}")
    if document.get("v") != VERSION:
        raise InvalidCursor(f"the cursor is of another version: {NOT_OURS}")
    try:
        return check(document["k"])
    except (ValueError, TypeError) as error:
        raise InvalidCursor(
            f"the cursor's position is not one of this listing: {NOT_OURS}"
        ) from error
