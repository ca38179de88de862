"""Which key the users service signs with, as keys are rotated in (no I/O)."""

import json
from datetime import UTC, datetime, timedelta

from ecommerce.platform.jwt_keys import generate_key_set
from ecommerce.users.keys import signing_key_at

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def key_set(*not_before: datetime | None) -> tuple[str, list[str]]:
    """A signing secret of one key per `not_before` (None: no activation time), the last one
    current; and the kids in order."""
    entries = []
    for moment in not_before:
        entry = json.loads(generate_key_set()[0])["keys"][0]
        if moment is not None:
            entry["not_before"] = moment.isoformat()
        entries.append(entry)
    kids = [entry["kid"] for entry in entries]
    return json.dumps({"current": kids[-1], "keys": entries}), kids


def test_the_current_key_signs_once_active() -> None:
    secret, kids = key_set(None, NOW - timedelta(seconds=1))
    assert signing_key_at(secret, NOW).kid == kids[1]


def test_until_then_the_newest_active_key_signs() -> None:
    secret, kids = key_set(None, NOW - timedelta(hours=1), NOW + timedelta(seconds=30))
    assert signing_key_at(secret, NOW).kid == kids[1]
    assert signing_key_at(secret, NOW + timedelta(seconds=30)).kid == kids[2]


def test_a_key_set_of_one_signs_with_it_whatever_its_time() -> None:
    secret, kids = key_set(NOW + timedelta(days=1))
    assert signing_key_at(secret, NOW).kid == kids[0]


def test_the_key_set_the_local_stack_provisions_signs_with_its_only_key() -> None:
    secret, _ = generate_key_set()
    document = json.loads(secret)
    assert signing_key_at(secret, NOW).kid == document["current"]
