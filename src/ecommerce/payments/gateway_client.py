"""The payments worker's client of the payment gateway: Stripe's v1 API, or the simulator.

It sends form-encoded requests with Bearer auth and an `Idempotency-Key`, and sorts every
outcome into one of three kinds, so the worker knows what to do with its message:

- a result (`ChargeResult`, `RefundResult`): approved or declined, a refund made;
- `GatewayUnavailable`: transient (5xx, 409 key in use, 429, timeout, connection error);
  retry the message later with the same idempotency key, which makes the retry safe;
- `GatewayRejected`: any other 4xx (a bad request, an idempotency key reused with other
  parameters, a refund refused); retrying would not help.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    payment_intent_id: str | None
    decline_code: str | None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int
    status: str


class GatewayError(Exception):
    """Base of the gateway client's errors."""


class GatewayUnavailable(GatewayError):
    """Transient: retry later with the same idempotency key."""

    transient = True


class GatewayRejected(GatewayError):
    """The gateway refused the request (a 4xx that is not a decline); not retryable."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        error_type: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.code = code
        self.request_id = request_id


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
        api_key: str = "sk_test_local",
        *,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

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

    async def _post(
        self, path: str, form: list[tuple[str, str]], idempotency_key: str
    ) -> _Response:
        headers = {
            "Authorization": f"Bearer {self._api_key}",
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
    if status in ("requires_payment_method", "requires_action"):  # not charged
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
