"""What each deployable reads from its environment: one pydantic-settings model per deployable.

Each model holds the variables its deployable uses, with their types, bounds and defaults. A
bad value stops the process at start with one line per variable that names it, says what is
wrong and how to fix it (`SettingsError`), never a traceback:

    orders: PORT='80a' is not valid (Input should be a valid integer); set PORT to a port
    number from 1 to 65535, or unset it for the default 8000

`Settings.from_env(service)` (`platform.config`) reads through the deployable's model. An empty
variable counts as unset, as the shell's `VAR= command` means.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, NoReturn

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

MOTO_ACCOUNT_ID = "123456789012"
DEFAULT_TOKEN_ISSUER = "ecommerce-users"
"""`iss` of access tokens when TOKEN_ISSUER is unset; in AWS it is https://<public host>."""

PORT = "a port number from 1 to 65535"
SECONDS = "a number of seconds"


class SettingsError(ValueError):
    """Bad settings: `str()` is one line per bad variable, naming it and the fix."""


class _Environment(EnvSettingsSource):
    """The process's environment, where a blank variable counts as unset."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {
            name: value
            for name, value in super()._load_env_vars().items()
            if value is None or value.strip()
        }


class DeployableSettings(BaseSettings):
    """What every deployable reads."""

    model_config = SettingsConfigDict(
        env_ignore_empty=True, str_strip_whitespace=True, extra="ignore", frozen=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Environment(settings_cls)

    aws_region: str = Field(
        "us-east-1",
        validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"),
        description="an AWS region such as us-east-1",
    )
    aws_account_id: str = Field(
        MOTO_ACCOUNT_ID, pattern=r"^\d{12}$", description="the 12-digit AWS account id"
    )
    ecommerce_topic_arn: str | None = Field(
        None, pattern=r"^arn:", description="the domain-events topic's ARN (arn:aws:sns:...)"
    )
    token_issuer: str = Field(DEFAULT_TOKEN_ISSUER, description="the access tokens' issuer URL")


class HttpSettings(DeployableSettings):
    host: str = Field("0.0.0.0", description="the address to listen on, such as 0.0.0.0")
    port: int = Field(8000, ge=1, le=65535, description=PORT)


class WorkerSettings(DeployableSettings):
    worker_concurrency: int = Field(20, ge=1, le=1000, description="a whole number, 1 to 1000")
    worker_grace_seconds: float = Field(20.0, ge=0, description=SECONDS)
    handler_timeout_seconds: float = Field(25.0, gt=0, description="a number of seconds above 0")
    health_port: int | None = Field(None, ge=1, le=65535, description=PORT)


class DatabaseSettings(DeployableSettings):
    database_url: str = Field(
        "postgresql://postgres@127.0.0.1:5432/postgres",
        pattern=r"^postgres(ql)?://",
        description="a PostgreSQL URL such as postgresql://user@host:5432/db",
    )
    database_iam_auth: bool = Field(False, description="true or false")


class RedisSettings(DeployableSettings):
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        pattern=r"^rediss?://",
        description="a Redis URL such as redis://host:6379/0",
    )


class CatalogUrlSettings(DeployableSettings):
    catalog_url: str = Field("http://catalog", pattern=r"^https?://", description="an http URL")


class UsersSettings(HttpSettings, RedisSettings):
    access_token_ttl_seconds: int = Field(900, ge=60, le=86400, description="60 to 86400 seconds")


class CatalogSettings(HttpSettings):
    pass


class CartSettings(HttpSettings, RedisSettings, CatalogUrlSettings):
    orders_url: str = Field("http://orders", pattern=r"^https?://", description="an http URL")
    cart_ttl_seconds: int = Field(7 * 24 * 3600, ge=1, description="a number of seconds, 1 or more")
    cart_key_prefix: str = Field("cart:", description="a Redis key prefix such as cart:")


class PaymentActionSettings(DeployableSettings):
    payment_action_expiry_seconds: float = Field(
        900.0, gt=0, description="how long an order waits for the customer's authentication"
    )


class OrdersSettings(HttpSettings, DatabaseSettings, PaymentActionSettings):
    pass


class OrdersWorkerSettings(
    WorkerSettings, DatabaseSettings, CatalogUrlSettings, PaymentActionSettings
):
    price_resync_seconds: float = Field(300.0, gt=0, description="a number of seconds above 0")
    payment_expiry_sweep_seconds: float = Field(
        30.0, gt=0, description="a number of seconds above 0"
    )


class OutboxRelaySettings(WorkerSettings, DatabaseSettings):
    pass


class InventoryWorkerSettings(WorkerSettings):
    reservation_retention_seconds: int = Field(30 * 24 * 3600, ge=1, description=SECONDS)
    reservation_sweep_seconds: float = Field(0.0, ge=0, description="seconds (0: never)")


class PaymentsWorkerSettings(WorkerSettings):
    payment_gateway_url: str = Field(
        "http://127.0.0.1:8090", pattern=r"^https?://", description="the gateway's http URL"
    )
    payment_gateway_key_secret: str = Field(
        "payment-gateway-key", description="the secret holding the processor's API key"
    )


class WebSettings(HttpSettings, CatalogUrlSettings):
    orders_url: str = Field("http://orders", pattern=r"^https?://", description="an http URL")


class WebhooksSettings(HttpSettings):
    payment_webhook_secrets_secret: str = Field(
        "payment-webhook-secrets", description="the secret holding the webhook signing secrets"
    )
    payment_webhook_tolerance_seconds: int = Field(
        300, ge=1, description="a whole number of seconds, 1 or more"
    )


class ImagesWorkerSettings(WorkerSettings):
    pass


MODELS: dict[str, type[DeployableSettings]] = {
    "users": UsersSettings,
    "catalog": CatalogSettings,
    "cart": CartSettings,
    "orders": OrdersSettings,
    "orders-worker": OrdersWorkerSettings,
    "outbox-relay": OutboxRelaySettings,
    "inventory-worker": InventoryWorkerSettings,
    "payments-worker": PaymentsWorkerSettings,
    "images-worker": ImagesWorkerSettings,
    "webhooks": WebhooksSettings,
    "web": WebSettings,
}
"""Each deployable's model, by the service name its entry point passes."""


class EverySetting(
    UsersSettings,
    CartSettings,
    OrdersWorkerSettings,
    InventoryWorkerSettings,
    PaymentsWorkerSettings,
    WebhooksSettings,
):
    """Every variable of every deployable: for a name `MODELS` does not know (tools, tests)."""


def read(model: type[DeployableSettings]) -> Any:
    """The model read from the process's environment, or `SettingsError`."""
    try:
        return model()
    except ValidationError as error:
        raise SettingsError(explain(model, error)) from None


def defaults() -> dict[str, Any]:
    """Every setting's default, by field name."""
    return {name: field.default for name, field in EverySetting.model_fields.items()}


def _variables(name: str, alias: object) -> list[str]:
    if isinstance(alias, AliasChoices):
        return [str(choice).upper() for choice in alias.choices]
    return [name.upper()]


def explain(model: type[DeployableSettings], error: ValidationError) -> str:
    """One line per bad variable: its name, its value, what is wrong, and the fix."""
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "?"
        field = model.model_fields.get(name)
        variable = _variables(name, field.validation_alias if field else None)[0]
        wanted = field.description if field and field.description else "a valid value"
        secret = "PASSWORD" in variable
        default = ""
        if field and field.default is not None:
            default = " for the default" if secret else f" for the default {field.default}"
        shown = "'***'" if secret else repr(problem.get("input"))
        lines.append(
            f"{variable}={shown} is not valid ({problem['msg']}); "
            f"set {variable} to {wanted}, or unset it{default}"
        )
    return "\n".join(lines)


def exit_on(service: str, error: SettingsError) -> NoReturn:
    """Stop a deployable whose settings are bad: its lines on stderr, exit status 2."""
    for line in str(error).splitlines():
        print(f"{service}: {line}", file=sys.stderr, flush=True)
    sys.exit(2)
