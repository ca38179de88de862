"""Which handler failures are transient: a dependency down for a while, not a bad message.

A message that fails only because PostgreSQL is restarting, the AWS endpoint is paused or the
payment gateway answers 5xx would, with SQS's receive count alone, reach the DLQ after a few
quick retries although nothing is wrong with it. The consumer gives such failures a budget of
its own (see `Consumer._failed`). Transient are: connection and timeout errors of any client,
botocore's connection errors, AWS throttling and 5xx answers, asyncpg's connection errors and
the server shutting down, and any exception whose class says `transient = True`.
"""

from __future__ import annotations

import asyncpg
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
    }
)


def is_transient(error: BaseException) -> bool:
    for cause in _chain(error):
        if getattr(type(cause), "transient", False) is True:
            return True
        if isinstance(cause, ConnectionError | TimeoutError):
            return True
        if isinstance(cause, BotoConnectionError | HTTPClientError):
            return True
        if isinstance(cause, asyncpg.PostgresConnectionError | asyncpg.OperatorInterventionError):
            return True  # the server refusing, shutting down or restarting
        if isinstance(cause, asyncpg.InterfaceError) and "connection" in str(cause).lower():
            return True
        if isinstance(cause, asyncpg.InternalClientError):
            return True  # a connection cut mid-operation leaves its protocol in a bad state
        if isinstance(cause, OSError) and not isinstance(cause, FileNotFoundError):
            return True
        if isinstance(cause, ClientError):
            code = str(cause.response.get("Error", {}).get("Code", ""))
            status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if code in THROTTLING_CODES or int(status) >= 500:
                return True
    return False


def _chain(error: BaseException) -> list[BaseException]:
    """The error and what caused it (`raise ... from`), at most a few levels deep."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(seen) < 5:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen
