"""The environment every child of the stack gets, and the endpoints it points at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecommerce.devstack.ports import LOOPBACK

EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
DEFAULT_REGION = "us-east-1"
WORKER_GRACE_SECONDS = 5
"""How long a worker drains on SIGTERM in dev; the supervisor SIGKILLs after STOP_TIMEOUT."""
STOP_TIMEOUT = 10.0
RESERVATION_SWEEP_SECONDS = 60


@dataclass(frozen=True)
class Endpoints:
    """Where the stack's parts answer; `aws` is None when the SDK's own endpoints are used."""

    edge: str
    gateway: str | None
    aws: str | None
    database: str
    redis: str
    dynamodb: str | None = None
    """The DynamoDB emulator, when it is not `aws` (the embedded stack runs it apart)."""

    def as_dict(self) -> dict[str, str | None]:
        return {
            "edge": self.edge,
            "gateway": self.gateway,
            "aws": self.aws,
            "dynamodb": self.dynamodb or self.aws,
            "database": self.database,
            "redis": self.redis,
        }


def aws_environment(
    base: Mapping[str, str],
    endpoint: str | None,
    *,
    embedded: bool,
    dynamodb_endpoint: str | None = None,
) -> dict[str, str]:
    """The AWS_* variables for an endpoint (and DynamoDB's own, when it is another).

    For the embedded emulator the credentials are forced to dummy ones and any profile or
    session token is dropped, so nothing can reach a real account. For an external endpoint
    (LocalStack, AWS) the caller's credentials are kept when set.
    """
    env: dict[str, str] = {}
    region = base.get("AWS_REGION") or base.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    env["AWS_REGION"] = region
    env["AWS_DEFAULT_REGION"] = region
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    if dynamodb_endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
    if embedded:
        env.update(EMULATOR_CREDENTIALS)
    else:
        for key, value in EMULATOR_CREDENTIALS.items():
            env[key] = base.get(key) or value
    return env


def aws_variables_to_drop(*, embedded: bool) -> tuple[str, ...]:
    return ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN") if embedded else ()


def service_url_variable(service: str) -> str:
    """`catalog` -> `CATALOG_URL`: how one service finds another's direct URL."""
    return f"{service.upper().replace('-', '_')}_URL"


def child_environment(
    base: Mapping[str, str],
    endpoints: Endpoints,
    *,
    embedded_aws: bool,
    service_urls: Mapping[str, str],
    port: int | None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of one handler, worker or the gateway simulator."""
    env = dict(base)
    env.update(extra or {})
    for key in aws_variables_to_drop(embedded=embedded_aws):
        env.pop(key, None)
    env.update(
        aws_environment(
            base, endpoints.aws, embedded=embedded_aws, dynamodb_endpoint=endpoints.dynamodb
        )
    )
    env["DATABASE_URL"] = endpoints.database
    env["REDIS_URL"] = endpoints.redis
    if endpoints.gateway:
        env["PAYMENT_GATEWAY_URL"] = endpoints.gateway
    for service, url in service_urls.items():
        env[service_url_variable(service)] = url
    env["HOST"] = LOOPBACK
    if port is None:
        env.pop("PORT", None)
    else:
        env["PORT"] = str(port)
    env["PYTHONUNBUFFERED"] = "1"
    # Within the supervisor's stop timeout, unless chosen otherwise.
    env.setdefault("WORKER_GRACE_SECONDS", str(WORKER_GRACE_SECONDS))
    # The emulator has no DynamoDB TTL: the inventory worker deletes expired reservations.
    env.setdefault("RESERVATION_SWEEP_SECONDS", str(RESERVATION_SWEEP_SECONDS))
    return env
