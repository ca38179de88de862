import base64
import json

import pytest

from ecommerce.catalog.products.cursor import InvalidCursor, decode_cursor, encode_cursor


@pytest.mark.parametrize("key", ["PRODUCT#p-001", "RESERVATION#0b7e", "PRODUCT#ü/ä+?="])
def test_a_cursor_round_trips_and_is_url_safe(key: str) -> None:
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "not base64 at all",
        "é",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        b64([1, 2]),
        b64({"k": "PRODUCT#p-001"}),
        b64({"v": 2, "k": "PRODUCT#p-001"}),
        b64({"v": 1, "k": ""}),
        b64({"v": 1, "k": 7}),
        "A" * 3000,
    ],
)
def test_a_cursor_we_did_not_issue_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)
