"""Opaque page cursors: where the next page starts, as URL-safe base64 of a small JSON document.

Clients must treat a cursor as a token; its content may change between versions, which is why
it carries one.
"""

from __future__ import annotations

import base64
import binascii
import json

VERSION = 1
MAX_CURSOR_LENGTH = 2048


class InvalidCursor(ValueError):
    pass


def encode_cursor(last_key: str) -> str:
    document = json.dumps({"v": VERSION, "k": last_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode()).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> str:
    """The key a page continues after; `InvalidCursor` when this is not one of our cursors."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("the cursor is empty or too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError) as error:
        raise InvalidCursor("the cursor is not one this service issued") from error
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise InvalidCursor("the cursor is not one this service issued")
    key = document.get("k")
    if not isinstance(key, str) or not key:
        raise InvalidCursor("the cursor is not one this service issued")
    return key
