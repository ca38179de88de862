"""`Idempotency-Key` as Stripe's v1 API honours it.

- Only POSTs; keys are scoped to the API key and live at least 24 hours.
- The first response of an endpoint that began executing is saved (status and exact bytes) and
  replayed for the same key and parameters, with `Idempotent-Replayed: true`.
- The same key with other parameters, or on another endpoint, is a 400 `idempotency_error`.
- A request whose key is still in flight gets a 409 `idempotency_key_in_use`.
- Nothing is saved when the endpoint did not begin executing: auth failures, injected transient
  errors (they happen before this middleware), and errors *raised* by a handler (parameter
  validation). A handler that executed *returns* its response, errors included.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ecommerce.gateway_sim.context import API_KEY, LOG_FIELDS, REQUEST_ID
from ecommerce.gateway_sim.errors import StripeError, invalid_request

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
TTL_SECONDS = 24 * 3600


@dataclass(frozen=True)
class SavedResponse:
    endpoint: str
    fingerprint: str
    status: int
    body: bytes
    content_type: str
    request_id: str
    at: float


@dataclass(frozen=True)
class _InFlight:
    endpoint: str
    fingerprint: str
    at: float


def fingerprint(params: Iterable[tuple[str, object]]) -> str:
    canonical = json.dumps(sorted((name, str(value)) for name, value in params))
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyStore:
    def __init__(
        self, ttl_seconds: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        # Insertion order is claim order, so the oldest entries are pruned from the front.
        self._entries: dict[tuple[str, str], SavedResponse | _InFlight] = {}

    def claim(self, scope: str, key: str, endpoint: str, fp: str) -> SavedResponse | None:
        """The saved response to replay, or None once the key is claimed for this request."""
        now = self._clock()
        self._prune(now)
        entry = self._entries.get((scope, key))
        if isinstance(entry, _InFlight):
            raise StripeError(
                409,
                "idempotency_error",
                "There is currently another in-progress request using this Idempotency-Key "
                f"('{key}'). Please try again later.",
                code="idempotency_key_in_use",
                headers={"Stripe-Should-Retry": "true"},
            )
        if entry is not None and entry.endpoint != endpoint:
            raise StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used for the same endpoint they were "
                f"first used for ('{entry.endpoint}' vs '{endpoint}'). Try using a key other "
                f"than '{key}' if you meant to execute a different request.",
            )
        if entry is not None and entry.fingerprint != fp:
            raise StripeError(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
            )
        if entry is not None:
            return entry
        self._entries[(scope, key)] = _InFlight(endpoint, fp, now)
        return None

    def save(
        self, scope: str, key: str, *, status: int, body: bytes, content_type: str, request_id: str
    ) -> None:
        """Keep the response of a claimed key (its age still counts from the claim)."""
        claim = self._entries.get((scope, key))
        if isinstance(claim, _InFlight):
            self._entries[(scope, key)] = SavedResponse(
                claim.endpoint, claim.fingerprint, status, body, content_type, request_id, claim.at
            )

    def release(self, scope: str, key: str) -> None:
        self._entries.pop((scope, key), None)

    def _prune(self, now: float) -> None:
        while self._entries:
            oldest_key, oldest = next(iter(self._entries.items()))
            if now - oldest.at < self._ttl:
                return
            del self._entries[oldest_key]


def _replay(saved: SavedResponse, key: str) -> web.Response:
    return web.Response(
        status=saved.status,
        body=saved.body,
        headers={
            "Content-Type": saved.content_type,
            HEADER: key,
            "Idempotent-Replayed": "true",
            "Original-Request": saved.request_id,
        },
    )


def idempotency_middleware(store: IdempotencyStore) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return await handler(request)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise invalid_request(
                f"Invalid idempotency key: it must be 1 to {MAX_KEY_LENGTH} characters long."
            )
        scope = request[API_KEY]
        endpoint = f"{request.method} {request.path}"
        params = await request.post()
        saved = store.claim(scope, key, endpoint, fingerprint(params.items()))
        if saved is not None:
            request[LOG_FIELDS]["replayed"] = True
            return _replay(saved, key)
        try:
            response = await handler(request)
        except BaseException:
            store.release(scope, key)  # raised: the endpoint did not execute; nothing to replay
            raise
        if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
            store.release(scope, key)
            return response
        store.save(
            scope,
            key,
            status=response.status,
            body=response.body,
            content_type=response.headers.get("Content-Type", "application/json"),
            request_id=request[REQUEST_ID],
        )
        response.headers[HEADER] = key
        return response

    return middleware
