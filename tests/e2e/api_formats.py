"""Values of the string formats the services' OpenAPI documents name and JSON Schema cannot
state, made by the services' own functions and data: a password the policy takes, a country
code, page cursors as a service issues them. `schemathesis_checks` registers them for the
fuzzer; the unit test of the documents (`tests/unit/test_api_document_constraints.py`) uses
them too, so both generate what a service accepts.
"""

from __future__ import annotations

from datetime import UTC

from hypothesis import strategies as st

from ecommerce.catalog.products.product_items import product_pk
from ecommerce.events import PRODUCT_ID_PATTERN
from ecommerce.platform.cursor import encode_cursor
from ecommerce.users.countries import ISO_3166_ALPHA_2
from ecommerce.users.domain import WeakPassword, check_password_policy

PRODUCT_IDS_ENV = "SCHEMATHESIS_PRODUCT_IDS"
"""Comma-separated ids of products that exist (the fuzzer orders these)."""


def _policy_allows(password: str) -> bool:
    try:
        check_password_policy(password)
    except WeakPassword:
        return False
    return True


FORMATS: dict[str, st.SearchStrategy[str]] = {
    "iso3166-alpha2": st.sampled_from(sorted(ISO_3166_ALPHA_2)),
    "password": st.text(min_size=12, max_size=64).filter(_policy_allows),
    # Positions as the listings issue them (`browsing.table_key`, `service.order_position`).
    "catalog-cursor": st.from_regex(PRODUCT_ID_PATTERN, fullmatch=True).map(
        lambda product_id: encode_cursor(product_pk(product_id))
    ),
    "orders-cursor": st.builds(
        lambda at, order_id: encode_cursor([at.isoformat(), str(order_id)]),
        st.datetimes(timezones=st.just(UTC)),
        st.uuids(),
    ),
}
"""Strategies by format name."""
