"""Checks, formats and request hooks of our own for schemathesis, loaded by
`SCHEMATHESIS_HOOKS=schemathesis_checks`.

Two things a document cannot say are filled in here for the requests generated as valid:
- a fresh `Idempotency-Key` for each order placed: a key sent again with another body is a
  422 by design (the IETF draft's answer), not a rejection of valid data;
- products that exist in an order's lines (an unknown product is a 422 naming the line): each
  generated id is swapped for one of `SCHEMATHESIS_PRODUCT_IDS`, picked by the generated one;
- a webhook's `Stripe-Signature`, computed over the body as sent with the signing secret the
  test reads from the stack (`SCHEMATHESIS_WEBHOOK_SECRET`).
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
import zlib
from collections.abc import MutableMapping
from typing import Any

import schemathesis
from api_formats import FORMATS, PRODUCT_IDS_ENV

from ecommerce.payments.webhook_signature import HEADER as SIGNATURE_HEADER
from ecommerce.payments.webhook_signature import sign

PROBLEM_JSON = "application/problem+json"
WEBHOOK_SECRET_ENV = "SCHEMATHESIS_WEBHOOK_SECRET"

for _name, _strategy in FORMATS.items():
    schemathesis.openapi.format(_name, _strategy)


@schemathesis.check
def problem_json_4xx(
    ctx: schemathesis.CheckContext,
    response: schemathesis.Response,
    case: schemathesis.Case[Any],
) -> bool | None:
    """Every 4xx answer is an RFC 9457 problem document."""
    if not 400 <= response.status_code < 500:
        return None
    values = response.headers.get("content-type") or response.headers.get("Content-Type") or []
    content_type = values[0] if values else ""
    if not content_type.startswith(PROBLEM_JSON):
        raise AssertionError(
            f"{response.status_code} answered with {content_type!r}, not {PROBLEM_JSON}"
        )
    return True


def _is_positive(case: schemathesis.Case[Any]) -> bool:
    meta = case.meta
    return meta is not None and meta.generation.mode.is_positive


def _matches(case: schemathesis.Case[Any], name: str, value: str) -> bool:
    for parameter in case.operation.headers:
        if parameter.name == name:
            pattern = parameter.definition.get("schema", {}).get("pattern")
            return pattern is None or re.search(pattern, value) is not None
    return False


def _order_existing_products(body: object) -> None:
    known = [item for item in os.environ.get(PRODUCT_IDS_ENV, "").split(",") if item]
    lines = body.get("items") if isinstance(body, dict) else None
    if not known or not isinstance(lines, list):
        return
    for line in lines:
        if isinstance(line, dict) and isinstance(line.get("product_id"), str):
            line["product_id"] = known[zlib.crc32(line["product_id"].encode()) % len(known)]


@schemathesis.hook
def before_call(
    ctx: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]
) -> None:
    headers = case.headers
    if not _is_positive(case) or not isinstance(headers, MutableMapping):
        return
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and _matches(case, "Idempotency-Key", key):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        _order_existing_products(case.body)
    secret = os.environ.get(WEBHOOK_SECRET_ENV)
    signature = headers.get(SIGNATURE_HEADER)
    if secret and isinstance(signature, str) and _matches(case, SIGNATURE_HEADER, signature):
        # As the requests transport sends a JSON body (`requests`' `json=`).
        body = json.dumps(case.body, allow_nan=False).encode("utf-8")
        headers[SIGNATURE_HEADER] = sign(body, [secret], int(time.time()))
