"""Typed per-request storage shared by the middlewares and the routes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

REQUEST_ID = web.RequestKey("request_id", str)
API_KEY = web.RequestKey("api_key", str)  # the account the request acts on
# Extra fields for the request's log line (order_id, payment_intent, replayed, ...).
LOG_FIELDS = web.RequestKey("log_fields", dict[str, Any])
