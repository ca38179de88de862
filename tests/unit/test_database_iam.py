"""The orders services sign in to RDS with IAM tokens, never with a password they hold."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ecommerce.platform.aws import AwsClients
from ecommerce.platform.database import iam_token_source

URL = "postgresql://orders_app@db.eu-west-1.rds.amazonaws.com:5432/orders?sslmode=verify-full"


async def test_each_connection_gets_a_signed_token_for_the_urls_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    clients = AwsClients("eu-west-1")
    try:
        token = await iam_token_source(clients, URL, "eu-west-1")()
    finally:
        await clients.close()
    signed = urlsplit(f"https://{token}")
    query = parse_qs(signed.query)
    assert (signed.hostname, signed.port) == ("db.eu-west-1.rds.amazonaws.com", 5432)
    assert query["Action"] == ["connect"] and query["DBUser"] == ["orders_app"]
    assert query["X-Amz-Credential"][0].startswith("AKIDEXAMPLE/")
    assert "/eu-west-1/rds-db/aws4_request" in query["X-Amz-Credential"][0]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://orders_app:secret@db.example.com/orders",  # a password: refused
        "postgresql://db.example.com/orders",  # no user to sign in as
    ],
)
def test_a_url_that_is_not_for_iam_sign_in_is_refused(url: str) -> None:
    with pytest.raises(ValueError):
        iam_token_source(AwsClients("eu-west-1"), url, "eu-west-1")
