r"""Regular expressions the services check text with and their OpenAPI documents state, written
so that Python's `re` (the check) and ECMA-262 (JSON Schema's `pattern`, which the fuzzer
generates from) read them alike.

The two disagree on which characters `\s` matches: Python counts \x1c-\x1f and \x85 as
whitespace, ECMA-262 counts \ufeff. Every class here that uses `\s` also leaves out all the
control characters and \ufeff, so the difference never matters.
"""

from __future__ import annotations

import re

INVISIBLE = r"\s\x00-\x1f\x7f-\x9f\ufeff"
"""Whitespace and control characters, as the inside of a character class."""

VISIBLE = rf"[^{INVISIBLE}]"
"""One character a person can see (a name needs one)."""

PADDING = r"[ \t\n\r]*"
"""The whitespace trimmed around a value typed into a form."""

PAYMENT_TOKEN = r"^[\x21-\x7e]+$"
"""A payment processor's token or payment method id (`tok_visa`, `pm_1Nv...`): visible ASCII,
no space or control character (a NUL, which PostgreSQL cannot store, made placing an order
answer 500)."""

_VISIBLE = re.compile(VISIBLE)


def has_visible(value: str) -> bool:
    return _VISIBLE.search(value) is not None


def trim(value: str) -> str:
    """`value` without the `PADDING` around it."""
    return value.strip(" \t\n\r")
