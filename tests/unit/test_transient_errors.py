"""Which failures the consumer treats as a dependency down rather than a bad message."""

from typing import Any

import asyncpg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from ecommerce.payments.gateway_client import GatewayUnavailable
from ecommerce.payments.service import PaymentInProgress
from ecommerce.platform.transient import is_transient


def client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutItem")


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "refused"),
        TimeoutError(),
        PaymentInProgress("another delivery holds the order's charge lease"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        client_error("ProvisionedThroughputExceededException", 400),
        client_error("InternalError", 500),
        client_error("Anything", 503),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.InternalClientError("cannot switch to state 12; another operation is in progress"),
        GatewayUnavailable("POST /v1/payment_intents: HTTP 503"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_dependency_down_is_transient(error: Exception) -> None:
    assert is_transient(error)


def test_the_cause_of_a_wrapped_error_counts() -> None:
    try:
        try:
            raise ConnectionResetError
        except ConnectionResetError as cause:
            raise RuntimeError("ledger write failed") from cause
    except RuntimeError as wrapped:
        assert is_transient(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        KeyError("x"),
        client_error("ValidationException", 400),
        client_error("ConditionalCheckFailedException", 400),
        asyncpg.UniqueViolationError("duplicate key"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_bug_or_a_bad_message_is_not_transient(error: Exception) -> None:
    assert not is_transient(error)
