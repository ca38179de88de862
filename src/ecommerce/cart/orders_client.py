"""Places and reads orders through the orders service's public API, as the customer.

The customer's own `Authorization` header is passed on, so the orders service sees the same
caller and applies its own rules; the cart holds no credentials of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=10, connect=2)


class OrdersUnavailable(Exception):
    """The orders API did not answer, or answered 5xx: whether it placed the order is unknown."""


class OrderRejected(Exception):
    """The orders API answered 4xx; `problem` is its problem document."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"orders answered {status}: {problem.get('title')}")
        self.status = status
        self.problem = problem


@dataclass(frozen=True)
class PlacedOrder:
    order: dict[str, Any]
    replayed: bool


class OrdersClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")

    async def place(
        self,
        *,
        items: list[dict[str, object]],
        payment_token: str,
        idempotency_key: str,
        authorization: str,
    ) -> PlacedOrder:
        headers = {"Authorization": authorization, "Idempotency-Key": idempotency_key}
        body = {"items": items, "payment_token": payment_token}
        try:
            async with self._session.post(
                f"{self._base_url}/orders", json=body, headers=headers, timeout=TIMEOUT
            ) as response:
                document = await _document(response)
                if response.status == 202 and isinstance(document.get("id"), str):
                    replayed = response.headers.get("Idempotent-Replayed") == "true"
                    return PlacedOrder(document, replayed)
                raise _failure(response.status, document)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise OrdersUnavailable(str(error) or type(error).__name__) from error

    async def get(self, order_id: str, *, authorization: str) -> dict[str, Any] | None:
        """The order as its owner sees it; None if the orders API does not show it."""
        try:
            async with self._session.get(
                f"{self._base_url}/orders/{order_id}",
                headers={"Authorization": authorization},
                timeout=TIMEOUT,
            ) as response:
                document = await _document(response)
                if response.status == 404:
                    return None
                if response.status == 200:
                    return document
                raise _failure(response.status, document)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise OrdersUnavailable(str(error) or type(error).__name__) from error


async def _document(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        document = await response.json(content_type=None)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _failure(status: int, document: dict[str, Any]) -> Exception:
    if 400 <= status < 500:
        return OrderRejected(status, document)
    return OrdersUnavailable(f"orders answered {status}")
