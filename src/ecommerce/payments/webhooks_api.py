"""The processor's webhooks frontend: `POST /webhooks/payments`, verified, then queued.

It does no payment work: it checks the `Stripe-Signature` header against the signing secrets
(`<prefix>/payment-webhook-secrets`, several during a rotation), puts the raw event on the
`payment-webhooks` SQS queue and answers 200 at once; the payments worker does the rest. A
bad signature gets a 400 and nothing is queued. When SQS cannot take the event, it answers 503,
so the processor delivers it again later.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ecommerce.payments.credentials import CachedSecret
from ecommerce.payments.webhook_signature import (
    HEADER,
    SignatureError,
    parse_secrets,
    verify,
)
from ecommerce.platform.config import Settings
from ecommerce.platform.http.app import AWS, READINESS, SETTINGS, create_app
from ecommerce.platform.http.openapi import Param, operation
from ecommerce.platform.http.problems import ProblemError, validation_problem
from ecommerce.platform.json_text import NotJson, parse_json
from ecommerce.platform.logging import get_logger
from ecommerce.resources import physical

log = get_logger("payments.webhooks")

WEBHOOK_SECRETS = "payment-webhook-secrets"
QUEUE = "payment-webhooks"
MAX_BODY_BYTES = 256 * 1024
REREAD_AFTER_SECONDS = 5.0
"""A payload no cached secret verifies makes the secrets be read again, at most this often:
a rotated secret is taken at once, and forged requests cannot make us hammer the secret."""

SECRETS = web.AppKey("webhook_secrets", CachedSecret[tuple[str, ...]])
QUEUE_URL = web.AppKey("webhook_queue_url", str)


class Received(BaseModel):
    received: bool


class ProcessorEvent(BaseModel):
    """What the frontend checks of a verified body before queueing it; the worker reads the
    rest (`data.object`) for the event types it handles and records any other as ignored."""

    model_config = ConfigDict(extra="allow")

    object: Literal["event"]
    id: str = Field(min_length=1, description="The processor's event id (`evt_...`).")
    type: str = Field(min_length=1, description="Such as `payment_intent.succeeded`.")


SIGNATURE_PATTERN = r"t=[0-9]+(,v[0-9]+=[0-9a-f]+)+"
"""The header's form: a timestamp and one or more signatures (`v1=` is the one checked)."""


async def _verified(request: web.Request, body: bytes) -> None:
    secrets = request.app[SECRETS]
    settings = request.app[SETTINGS]
    header = request.headers.get(HEADER)
    tolerance = settings.payment_webhook_tolerance_seconds
    try:
        verify(body, header, await secrets.value(), now=time.time(), tolerance=tolerance)
        return
    except SignatureError as error:
        if secrets.age < REREAD_AFTER_SECONDS or "no signature matches" not in str(error):
            raise
    secrets.invalidate()
    verify(body, header, await secrets.value(), now=time.time(), tolerance=tolerance)


def _event_fields(body: bytes) -> tuple[str, str]:
    try:
        event = ProcessorEvent.model_validate(parse_json(body))
    except NotJson as error:
        raise ProblemError(400, "Malformed JSON", str(error)) from None
    except ValidationError as error:
        problem = validation_problem(error)
        raise ProblemError(
            422, "Not an event", "An event has object 'event', an id and a type.", **problem.extra
        ) from None
    return event.id, event.type


@operation(
    "Receive a payment processor webhook: verified, queued, answered at once",
    description="The body is the processor's event as it sent it; the `Stripe-Signature` "
    "header signs it. Only a verified event is queued for the payments worker.",
    request=ProcessorEvent,
    response=Received,
    params=[
        Param(
            HEADER,
            "header",
            "t=<unix seconds>,v1=<HMAC-SHA256 hex> with a signing secret; the timestamp within "
            "the tolerance",
            required=True,
            schema={"type": "string", "pattern": f"^{SIGNATURE_PATTERN}$"},
        )
    ],
    errors={
        400: "Missing, forged or stale signature, or not JSON: nothing is queued",
        413: "Body too large",
        503: "The queue did not take the event; the processor retries",
    },
    tags=("webhooks",),
)
async def receive_webhook(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ProblemError(413, "Body too large", f"At most {MAX_BODY_BYTES} bytes.")
    body = await request.read()
    try:
        await _verified(request, body)
    except SignatureError as error:
        log.warning("webhook_refused", reason=str(error))
        raise ProblemError(400, "Invalid signature", str(error)) from None
    event_id, event_type = _event_fields(body)
    sqs = await request.app[AWS].client("sqs")
    try:
        await sqs.send_message(
            QueueUrl=request.app[QUEUE_URL],
            MessageBody=body.decode(),
            MessageAttributes={"event_type": {"DataType": "String", "StringValue": event_type}},
        )
    except Exception as error:
        log.error("webhook_not_queued", event_id=event_id, error=repr(error))
        raise ProblemError(503, "Not queued", "Try again later.") from None
    log.info("webhook_queued", event_id=event_id, event_type=event_type)
    return web.json_response({"received": True})


async def _resources(app: web.Application) -> AsyncIterator[None]:
    clients = app[AWS]
    sqs = await clients.client("sqs")
    app[QUEUE_URL] = (await sqs.get_queue_url(QueueName=physical(QUEUE)))["QueueUrl"]
    app[SECRETS] = CachedSecret(
        await clients.client("secretsmanager"),
        app[SETTINGS].payment_webhook_secrets_secret,
        parse_secrets,
    )

    async def queue_answers() -> None:
        await sqs.get_queue_attributes(
            QueueUrl=app[QUEUE_URL], AttributeNames=["ApproximateNumberOfMessages"]
        )

    app[READINESS]["queue"] = queue_answers
    yield


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings, verify_tokens=False)
    app.cleanup_ctx.append(_resources)
    app.router.add_post("/webhooks/payments", receive_webhook)
    return app
