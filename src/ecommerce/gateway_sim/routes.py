"""The Stripe v1 endpoints: parse and check parameters, call the account, serialise.

A handler *raises* a `StripeError` for a request it refuses before executing (bad parameters,
unknown objects) and *returns* the response of anything it executed, declines and refusals
included, so that `Idempotency-Key` saves exactly what Stripe would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from aiohttp import web
from multidict import MultiMapping

from ecommerce.gateway_sim.context import API_KEY, LOG_FIELDS
from ecommerce.gateway_sim.errors import StripeError, invalid_request, json_response, no_such
from ecommerce.gateway_sim.events import EVENT_TYPES, Event, WebhookEndpoint
from ecommerce.gateway_sim.models import Dispute, PaymentIntent, Refund
from ecommerce.gateway_sim.state import Account, GatewayState, Objects

_METADATA = re.compile(r"metadata\[([^\[\]]+)\]")
_CURRENCY = re.compile(r"[a-z]{3}")
_INTEGER = re.compile(r"-?\d+")
MAX_AMOUNT = 99_999_999
REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})

T = TypeVar("T", PaymentIntent, Refund, Event, WebhookEndpoint, Dispute)
_LIST_ITEM = re.compile(r"([a-z_]+)\[\d*\]")
CANCELLATION_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer", "abandoned"})


def _created(op: Callable[[int, int], bool]) -> Callable[[_Created, str], bool]:
    def check(item: _Created, value: str) -> bool:
        return op(item.created, _integer("created", value))

    return check


class _Created(Protocol):
    @property
    def created(self) -> int: ...


CREATED: Mapping[str, Callable[[Any, str], bool]] = MappingProxyType(
    {
        "created[gte]": _created(lambda a, b: a >= b),
        "created[gt]": _created(lambda a, b: a > b),
        "created[lte]": _created(lambda a, b: a <= b),
        "created[lt]": _created(lambda a, b: a < b),
    }
)
"""Stripe's `created` range filter of the list endpoints."""


class Params:
    """Form or query parameters, Stripe-style: unknown names are refused, values checked."""

    def __init__(
        self, raw: MultiMapping[object], allowed: Collection[str], lists: Collection[str] = ()
    ) -> None:
        self._values: dict[str, str] = {}
        self._lists: dict[str, list[str]] = {}
        for name, value in raw.items():
            if not isinstance(value, str):
                raise invalid_request(f"Invalid value for {name}: files are not accepted here.")
            item = _LIST_ITEM.fullmatch(name)
            if item is not None and item.group(1) in lists:
                self._lists.setdefault(item.group(1), []).append(value)
                continue
            metadata = "metadata" in allowed and _METADATA.fullmatch(name)
            if name not in allowed and not metadata:
                raise invalid_request(
                    f"Received unknown parameter: {name}", code="parameter_unknown", param=name
                )
            self._values[name] = value

    def strings(self, name: str) -> list[str]:
        return list(self._lists.get(name, []))

    def string(self, name: str) -> str | None:
        value = self._values.get(name)
        if value is not None and not value:
            raise invalid_request(
                f"You passed an empty string for '{name}'. We assume empty values are an attempt "
                f"to unset a parameter; however '{name}' cannot be unset.",
                code="parameter_invalid_empty",
                param=name,
            )
        return value

    def required(self, name: str) -> str:
        value = self.string(name)
        if value is None:
            raise invalid_request(
                f"Missing required param: {name}.", code="parameter_missing", param=name
            )
        return value

    def integer(self, name: str) -> int | None:
        text = self.string(name)
        return None if text is None else _integer(name, text)

    def required_integer(self, name: str) -> int:
        return _integer(name, self.required(name))

    def boolean(self, name: str, *, default: bool) -> bool:
        text = self.string(name)
        if text is None:
            return default
        if text not in ("true", "false"):
            raise invalid_request(f"Invalid boolean: {text}", param=name)
        return text == "true"

    def metadata(self) -> dict[str, str]:
        metadata: dict[str, str] = {}
        for name, value in self._values.items():
            match = _METADATA.fullmatch(name)
            if match is None:
                continue
            key = match.group(1)
            if len(key) > 40 or len(value) > 500:
                raise invalid_request(
                    "Metadata keys are limited to 40 characters and values to 500.", param=name
                )
            metadata[key] = value
        if len(metadata) > 50:
            raise invalid_request("Metadata is limited to 50 keys.", param="metadata")
        return metadata


def _integer(name: str, text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise invalid_request(
            f"Invalid integer: {text}", code="parameter_invalid_integer", param=name
        )
    return int(text)


def _amount(amount: int) -> int:
    if amount < 1:
        raise invalid_request(
            "This value must be greater than or equal to 1.",
            code="amount_too_small",
            param="amount",
        )
    if amount > MAX_AMOUNT:
        raise invalid_request(
            f"Amount must be no more than {MAX_AMOUNT}.", code="amount_too_large", param="amount"
        )
    return amount


def _list(
    request: web.Request,
    collection: Objects[T],
    *,
    filters: Mapping[str, Callable[[T, str], bool]] = MappingProxyType({}),
) -> web.Response:
    params = Params(request.query, {"limit", "starting_after", "ending_before", *filters})
    limit = params.integer("limit")
    if limit is not None and not 1 <= limit <= 100:
        raise invalid_request(
            "This value must be between 1 and 100.", code="parameter_invalid_integer", param="limit"
        )
    starting_after = params.string("starting_after")
    ending_before = params.string("ending_before")
    if starting_after and ending_before:
        raise invalid_request(
            "You may only specify one of these parameters: starting_after, ending_before.",
            code="parameters_exclusive",
        )
    active = {name: params.string(name) for name in filters}
    data, has_more = collection.page(
        limit=10 if limit is None else limit,
        starting_after=starting_after,
        ending_before=ending_before,
        where=lambda item: all(
            value is None or filters[name](item, value) for name, value in active.items()
        ),
    )
    return json_response(
        {
            "object": "list",
            "data": [item.to_json() for item in data],
            "has_more": has_more,
            "url": request.path,
        }
    )


class Api:
    def __init__(self, state: GatewayState) -> None:
        self._state = state

    def add_to(self, app: web.Application) -> None:
        app.router.add_post("/v1/payment_intents", self.create_payment_intent)
        app.router.add_get("/v1/payment_intents", self.list_payment_intents)
        app.router.add_get("/v1/payment_intents/{id}", self.get_payment_intent)
        app.router.add_post("/v1/refunds", self.create_refund)
        app.router.add_get("/v1/refunds", self.list_refunds)
        app.router.add_get("/v1/refunds/{id}", self.get_refund)
        app.router.add_post("/v1/payment_intents/{id}/cancel", self.cancel_payment_intent)
        app.router.add_get("/v1/events", self.list_events)
        app.router.add_get("/v1/events/{id}", self.get_event)
        app.router.add_get("/v1/disputes", self.list_disputes)
        app.router.add_post("/v1/webhook_endpoints", self.create_webhook_endpoint)
        app.router.add_get("/v1/webhook_endpoints", self.list_webhook_endpoints)
        app.router.add_delete("/v1/webhook_endpoints/{id}", self.delete_webhook_endpoint)
        # The customer's side of 3-D Secure: the page `next_action` points at (no API key).
        app.router.add_get("/test/authenticate/{id}", self.authentication_page)
        app.router.add_post("/test/authenticate/{id}", self.authenticate)

    def _account(self, request: web.Request) -> Account:
        return self._state.account(request[API_KEY])

    async def create_payment_intent(self, request: web.Request) -> web.Response:
        params = Params(
            await request.post(),
            {
                "amount",
                "currency",
                "payment_method",
                "confirm",
                "description",
                "metadata",
                "return_url",
            },
        )
        amount = _amount(params.required_integer("amount"))
        currency = params.required("currency").lower()
        if not _CURRENCY.fullmatch(currency):
            raise invalid_request(f"Invalid currency: {currency}.", param="currency")
        metadata = params.metadata()
        request[LOG_FIELDS]["order_id"] = metadata.get("order_id")
        confirm = params.boolean("confirm", default=False)
        intent = self._account(request).create_payment_intent(
            amount=amount,
            currency=currency,
            payment_method=params.string("payment_method"),
            confirm=confirm,
            metadata=metadata,
            description=params.string("description"),
            authenticate_url=f"{request.scheme}://{request.host}/test/authenticate",
            return_url=params.string("return_url"),
        )
        request[LOG_FIELDS]["payment_intent"] = intent.id
        request[LOG_FIELDS]["intent_status"] = intent.status
        if confirm and intent.last_payment_error is not None:
            error = intent.last_payment_error
            return StripeError(
                402,
                "card_error",
                error["message"],
                code=error["code"],
                decline_code=error["decline_code"],
                extra={"charge": error["charge"], "payment_intent": intent.to_json()},
            ).response()
        return json_response(intent.to_json())

    async def get_payment_intent(self, request: web.Request) -> web.Response:
        intent = self._account(request).intents.get(request.match_info["id"])
        if intent is None:
            raise no_such("payment_intent", request.match_info["id"], param="intent", status=404)
        return json_response(intent.to_json())

    async def list_payment_intents(self, request: web.Request) -> web.Response:
        return _list(request, self._account(request).intents, filters=CREATED)

    async def create_refund(self, request: web.Request) -> web.Response:
        params = Params(
            await request.post(), {"payment_intent", "charge", "amount", "reason", "metadata"}
        )
        account = self._account(request)
        intent = self._refunded_intent(account, params)
        request[LOG_FIELDS]["payment_intent"] = intent.id
        request[LOG_FIELDS]["order_id"] = intent.metadata.get("order_id")
        amount = params.integer("amount")
        amount = None if amount is None else _amount(amount)
        reason = params.string("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise invalid_request(
                f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}",
                param="reason",
            )
        try:
            refund = account.refund(
                intent, amount=amount, reason=reason, metadata=params.metadata()
            )
        except StripeError as refused:  # executed and refused: saved under the key like Stripe
            return refused.response()
        request[LOG_FIELDS]["refund"] = refund.id
        return json_response(refund.to_json())

    @staticmethod
    def _refunded_intent(account: Account, params: Params) -> PaymentIntent:
        intent_id = params.string("payment_intent")
        charge_id = params.string("charge")
        if intent_id is None and charge_id is None:
            raise invalid_request(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        if intent_id is not None and charge_id is not None:
            raise invalid_request(
                "You may only specify one of these parameters: charge, payment_intent.",
                code="parameters_exclusive",
            )
        if intent_id is not None:
            intent = account.intents.get(intent_id)
            if intent is None:
                raise no_such("payment_intent", intent_id, param="payment_intent")
            return intent
        intent = account.intent_for_charge(charge_id or "")
        if intent is None:
            raise no_such("charge", charge_id or "", param="charge")
        return intent

    async def get_refund(self, request: web.Request) -> web.Response:
        refund = self._account(request).refunds.get(request.match_info["id"])
        if refund is None:
            raise no_such("refund", request.match_info["id"], param="refund", status=404)
        return json_response(refund.to_json())

    async def list_refunds(self, request: web.Request) -> web.Response:
        def for_intent(refund: Refund, intent_id: str) -> bool:
            return refund.payment_intent == intent_id

        return _list(
            request,
            self._account(request).refunds,
            filters={"payment_intent": for_intent, **CREATED},
        )

    async def cancel_payment_intent(self, request: web.Request) -> web.Response:
        params = Params(await request.post(), {"cancellation_reason"})
        reason = params.string("cancellation_reason")
        if reason is not None and reason not in CANCELLATION_REASONS:
            raise invalid_request(
                f"Invalid cancellation_reason: must be one of "
                f"{', '.join(sorted(CANCELLATION_REASONS))}",
                param="cancellation_reason",
            )
        account = self._account(request)
        intent = account.intents.get(request.match_info["id"])
        if intent is None:
            raise no_such("payment_intent", request.match_info["id"], param="intent", status=404)
        request[LOG_FIELDS]["payment_intent"] = intent.id
        try:
            account.cancel(intent, reason=reason, now=int(time.time()))
        except StripeError as refused:  # executed and refused: saved under the key
            return refused.response()
        return json_response(intent.to_json())

    async def list_events(self, request: web.Request) -> web.Response:
        def of_type(event: Event, event_type: str) -> bool:
            return event.type == event_type

        return _list(request, self._account(request).events, filters={"type": of_type})

    async def get_event(self, request: web.Request) -> web.Response:
        event = self._account(request).events.get(request.match_info["id"])
        if event is None:
            raise no_such("event", request.match_info["id"], param="id", status=404)
        return json_response(event.to_json())

    async def list_disputes(self, request: web.Request) -> web.Response:
        return _list(request, self._account(request).disputes, filters=CREATED)

    async def create_webhook_endpoint(self, request: web.Request) -> web.Response:
        params = Params(
            await request.post(), {"url", "description", "metadata"}, lists={"enabled_events"}
        )
        url = params.required("url")
        if not url.startswith(("http://", "https://")):
            raise invalid_request("Invalid URL: must be http:// or https://", param="url")
        enabled = params.strings("enabled_events")
        if not enabled:
            raise invalid_request(
                "Missing required param: enabled_events.",
                code="parameter_missing",
                param="enabled_events",
            )
        unknown = [name for name in enabled if name != "*" and name not in EVENT_TYPES]
        if unknown:
            raise invalid_request(
                f"Invalid enabled_events: {', '.join(unknown)}", param="enabled_events"
            )
        endpoint = self._account(request).endpoints.add(
            WebhookEndpoint(url, enabled, params.string("description"))
        )
        return json_response(endpoint.to_json(with_secret=True))

    async def list_webhook_endpoints(self, request: web.Request) -> web.Response:
        return _list(request, self._account(request).endpoints)

    async def delete_webhook_endpoint(self, request: web.Request) -> web.Response:
        endpoint = self._account(request).endpoints.get(request.match_info["id"])
        if endpoint is None or endpoint.status == "deleted":
            raise no_such("webhook_endpoint", request.match_info["id"], param="id", status=404)
        endpoint.status = "deleted"
        return json_response({"id": endpoint.id, "object": "webhook_endpoint", "deleted": True})

    def _intent_anywhere(self, request: web.Request) -> tuple[Account, PaymentIntent]:
        found = self._state.intent_anywhere(request.match_info["id"])
        if found is None:
            raise no_such("payment_intent", request.match_info["id"], param="intent", status=404)
        return found

    async def authentication_page(self, request: web.Request) -> web.Response:
        _, intent = self._intent_anywhere(request)
        action = request.path
        return web.Response(
            content_type="text/html",
            text=(
                "<!doctype html><title>3-D Secure test page</title>"
                f"<h1>Authenticate {intent.amount / 100:.2f} {intent.currency.upper()}</h1>"
                f"<p>Payment {intent.id}: {intent.status}</p>"
                f'<form method="post" action="{action}"><input type="hidden" name="outcome" '
                'value="succeed"><button>Complete authentication</button></form>'
                f'<form method="post" action="{action}"><input type="hidden" name="outcome" '
                'value="fail"><button>Fail authentication</button></form>'
            ),
        )

    async def authenticate(self, request: web.Request) -> web.Response:
        params = Params(await request.post(), {"outcome"})
        outcome = params.required("outcome")
        if outcome not in ("succeed", "fail"):
            raise invalid_request("outcome must be succeed or fail", param="outcome")
        account, intent = self._intent_anywhere(request)
        request[LOG_FIELDS]["payment_intent"] = intent.id
        account.authenticate(intent, passed=outcome == "succeed")
        return json_response(intent.to_json())
