"""The payments worker's client of the payment gateway: Stripe's v1 API, or the simulator.

It sends form-encoded requests with Bearer auth and an `Idempotency-Key`, and sorts every
outcome into one of three kinds, so the worker knows what to do with its message:

- a result (`ChargeResult`, `RefundResult`): approved or declined, a refund made;
- `GatewayUnavailable`: transient (5xx, 409 key in use, 429, timeout, connection error, and
  401: the key was rolled, so it is read again from its secret before the next call); retry
  the message later with the same idempotency key, which makes the retry safe;
- `GatewayRejected`: any other 4xx (a bad request, an idempotency key reused with other
  parameters, a refund refused); retrying would not help.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from ecommerce.payments.credentials import ApiKeySource
from ecommerce.payments.gateway_outcomes import (
    ChargeResult,
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    RefundResult,
)

__all__ = [
    "ChargeResult",
    "GatewayClient",
    "GatewayError",
    "GatewayRejected",
    "GatewayUnavailable",
    "RefundResult",
]

DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class _Response:
    status: int
    body: dict[str, Any]
    request_id: str | None

    @property
    def error(self) -> dict[str, Any]:
        error = self.body.get("error")
        return error if isinstance(error, dict) else {}

    def rejected(self, what: str) -> GatewayRejected:
        error = self.error
        return GatewayRejected(
            f"{what}: HTTP {self.status} {error.get('type')}/{error.get('code')}: "
            f"{error.get('message', self.body)} (request {self.request_id})",
            status=self.status,
            error_type=error.get("type"),
            code=error.get("code"),
            request_id=self.request_id,
        )


class GatewayClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        credentials: ApiKeySource,
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @property
    def base_url(self) -> str:
        return self._base_url

    async def charge(
        self,
        *,
        order_id: str,
        amount: int,
        currency: str,
        payment_method: str,
        idempotency_key: str,
    ) -> ChargeResult:
        """Create and confirm a PaymentIntent. A decline is a result, not an exception."""
        response = await self._post(
            "/v1/payment_intents",
            [
                ("amount", str(amount)),
                ("currency", currency.lower()),
                ("payment_method", payment_method),
                ("confirm", "true"),
                ("metadata[order_id]", order_id),
            ],
            idempotency_key,
        )
        if response.status == 200:
            return _intent_result(response)
        error = response.error
        if response.status == 402 and error.get("type") == "card_error":
            declined = error.get("payment_intent")
            return ChargeResult(
                approved=False,
                payment_intent_id=_str(declined.get("id")) if isinstance(declined, dict) else None,
                decline_code=_str(error.get("decline_code") or error.get("code")),
            )
        raise response.rejected("charge")

    async def refund(
        self, *, payment_intent_id: str, idempotency_key: str, amount: int | None = None
    ) -> RefundResult:
        """Refund `amount` (default: all that remains) of a succeeded PaymentIntent.

        A refusal (e.g. `code == "charge_already_refunded"`) raises `GatewayRejected`."""
        form = [("payment_intent", payment_intent_id)]
        if amount is not None:
            form.append(("amount", str(amount)))
        response = await self._post("/v1/refunds", form, idempotency_key)
        if response.status != 200:
            raise response.rejected("refund")
        refund = response.body
        refund_id, refund_amount = refund.get("id"), refund.get("amount")
        if not isinstance(refund_id, str) or not isinstance(refund_amount, int):
            raise GatewayUnavailable(f"refund: malformed response (request {response.request_id})")
        return RefundResult(refund_id, refund_amount, str(refund.get("status")))

    async def cancel_intent(self, *, payment_intent_id: str, idempotency_key: str) -> str:
        """Call off an intent that waits for the customer; its status after the call. One
        that was paid meanwhile raises `GatewayRejected` (`payment_intent_unexpected_state`)."""
        response = await self._post(
            f"/v1/payment_intents/{payment_intent_id}/cancel",
            [("cancellation_reason", "abandoned")],
            idempotency_key,
        )
        if response.status != 200:
            raise response.rejected("cancel")
        return str(response.body.get("status"))

    async def get_intent(self, payment_intent_id: str) -> dict[str, Any]:
        return await self._get(f"/v1/payment_intents/{payment_intent_id}", [])

    async def list_all(
        self, kind: str, params: list[tuple[str, str]] | None = None, *, page_size: int = 100
    ) -> list[dict[str, Any]]:
        """Every object of a list endpoint (`payment_intents`, `refunds`, `disputes`), newest
        first, following `starting_after` page by page."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = [("limit", str(page_size)), *(params or [])]
            if cursor is not None:
                query.append(("starting_after", cursor))
            page = await self._get(f"/v1/{kind}", query)
            data = page.get("data")
            if not isinstance(data, list):
                raise GatewayUnavailable(f"GET /v1/{kind}: no data list")
            found.extend(item for item in data if isinstance(item, dict))
            if not page.get("has_more") or not data:
                return found
            cursor = str(data[-1]["id"])

    async def _get(self, path: str, query: list[tuple[str, str]]) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {await self._credentials.api_key()}"}
        url = self._base_url + path + (f"?{urlencode(query)}" if query else "")
        try:
            async with self._session.get(url, headers=headers, timeout=self._timeout) as http:
                status, raw = http.status, await http.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GatewayUnavailable(f"GET {path}: {type(exc).__name__}: {exc}") from exc
        if status == 401:
            self._credentials.invalidate()
        if status != 200:
            raise GatewayUnavailable(f"GET {path}: HTTP {status}")
        body = json.loads(raw)
        if not isinstance(body, dict):
            raise GatewayUnavailable(f"GET {path}: not a JSON object")
        return body

    async def _post(
        self, path: str, form: list[tuple[str, str]], idempotency_key: str
    ) -> _Response:
        headers = {
            "Authorization": f"Bearer {await self._credentials.api_key()}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Idempotency-Key": idempotency_key,
        }
        try:
            async with self._session.post(
                self._base_url + path,
                data=urlencode(form).encode(),
                headers=headers,
                timeout=self._timeout,
            ) as http:
                status, raw = http.status, await http.read()
                request_id = http.headers.get("Request-Id")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GatewayUnavailable(f"POST {path}: {type(exc).__name__}: {exc}") from exc
        if status == 401:
            self._credentials.invalidate()
            raise GatewayUnavailable(f"POST {path}: HTTP 401, the API key was refused")
        if status >= 500 or status in (409, 429):
            raise GatewayUnavailable(f"POST {path}: HTTP {status} (request {request_id})")
        body: object
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if status < 400:  # a success we cannot read: ask again, the key makes it safe
                raise GatewayUnavailable(f"POST {path}: HTTP {status} with a non-JSON body")
            raise GatewayRejected(f"POST {path}: HTTP {status} with a non-JSON body", status=status)
        return _Response(status, body, request_id)


def _intent_result(response: _Response) -> ChargeResult:
    intent = response.body
    status = intent.get("status")
    if status == "succeeded":
        return ChargeResult(True, _str(intent.get("id")), None)
    if status == "requires_action":
        next_action = intent.get("next_action")
        return ChargeResult(
            False,
            _str(intent.get("id")),
            None,
            action_required=True,
            client_secret=_str(intent.get("client_secret")),
            next_action=next_action if isinstance(next_action, dict) else {},
        )
    if status == "requires_payment_method":  # declined: not charged
        last_error = intent.get("last_payment_error")
        last_error = last_error if isinstance(last_error, dict) else {}
        decline_code = _str(last_error.get("decline_code") or last_error.get("code"))
        return ChargeResult(
            False, _str(intent.get("id")), decline_code or "authentication_required"
        )
    raise GatewayRejected(
        f"charge: unexpected PaymentIntent status {status!r} (request {response.request_id})",
        status=response.status,
        request_id=response.request_id,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
