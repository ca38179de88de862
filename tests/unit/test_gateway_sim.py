"""The payment gateway simulator, driven over HTTP through its real aiohttp app."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from ecommerce.gateway_sim import Latency, SimConfig, create_app
from ecommerce.gateway_sim.idempotency import IdempotencyStore

Client = TestClient[web.Request, web.Application]
AUTH = {"Authorization": "Bearer sk_test_unit"}


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., Awaitable[Client]]]:
    clients: list[Client] = []

    async def make(config: SimConfig | None = None, **kwargs: Any) -> Client:
        client: Client = TestClient(TestServer(create_app(config, **kwargs)))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: Callable[..., Awaitable[Client]]) -> Client:
    return await make_client()


def intent_form(
    payment_method: str = "tok_visa", amount: int = 1999, **extra: str
) -> dict[str, str]:
    return {
        "amount": str(amount),
        "currency": "usd",
        "payment_method": payment_method,
        "confirm": "true",
        "metadata[order_id]": "order-1",
        **extra,
    }


async def post(
    client: Client,
    path: str,
    form: dict[str, str],
    key: str | None = None,
    auth: dict[str, str] = AUTH,
) -> aiohttp.ClientResponse:
    headers = dict(auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(path, data=form, headers=headers)


async def get_json(client: Client, path: str, **params: str) -> tuple[int, Any]:
    response = await client.get(path, params=params, headers=AUTH)
    return response.status, await response.json()


async def error_of(response: aiohttp.ClientResponse) -> dict[str, Any]:
    body = await response.json()
    error: dict[str, Any] = body["error"]
    return error


async def test_healthz_needs_no_key(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer sk_live_abcdefghijkl"},
        {"Authorization": "Token sk_test_x"},
    ],
)
async def test_api_needs_a_test_secret_key(client: Client, auth: dict[str, str]) -> None:
    response = await post(client, "/v1/payment_intents", intent_form(), auth=auth)
    assert response.status == 401
    error = await error_of(response)
    assert error["type"] == "invalid_request_error"
    assert "API Key" in error["message"] or "API key" in error["message"]
    assert (await client.get("/v1/payment_intents", headers=auth)).status == 401


async def test_basic_auth_with_the_key_as_user_works(client: Client) -> None:
    basic = base64.b64encode(b"sk_test_unit:").decode()
    response = await client.get("/v1/payment_intents", headers={"Authorization": f"Basic {basic}"})
    assert response.status == 200


async def test_visa_succeeds(client: Client) -> None:
    response = await post(client, "/v1/payment_intents", intent_form("tok_visa", 1999))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Request-Id"].startswith("req_")
    intent = await response.json()
    assert intent["id"].startswith("pi_")
    assert intent["object"] == "payment_intent"
    assert intent["status"] == "succeeded"
    assert (intent["amount"], intent["currency"]) == (1999, "usd")
    assert intent["payment_method"] == "tok_visa"
    assert intent["metadata"] == {"order_id": "order-1"}
    assert intent["latest_charge"].startswith("ch_")
    assert isinstance(intent["created"], int)
    assert await get_json(client, f"/v1/payment_intents/{intent['id']}") == (200, intent)


async def test_pm_card_visa_succeeds_and_currency_is_lowercased(client: Client) -> None:
    response = await post(
        client, "/v1/payment_intents", intent_form("pm_card_visa", currency="EUR")
    )
    intent = await response.json()
    assert (response.status, intent["status"], intent["currency"]) == (200, "succeeded", "eur")


@pytest.mark.parametrize(
    ("token", "decline_code", "message"),
    [
        ("tok_chargeDeclined", "generic_decline", "Your card was declined."),
        ("tok_insufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
        ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds", None),
    ],
)
async def test_decline_tokens_give_402_card_errors(
    client: Client, token: str, decline_code: str, message: str | None
) -> None:
    response = await post(client, "/v1/payment_intents", intent_form(token))
    assert response.status == 402
    error = await error_of(response)
    assert error["type"] == "card_error"
    assert error["code"] == "card_declined"
    assert error["decline_code"] == decline_code
    if message is not None:
        assert error["message"] == message
    intent = error["payment_intent"]
    assert intent["status"] == "requires_payment_method"
    assert intent["last_payment_error"]["decline_code"] == decline_code
    assert error["charge"] == intent["latest_charge"]
    # The declined intent exists, as on Stripe.
    status, fetched = await get_json(client, f"/v1/payment_intents/{intent['id']}")
    assert (status, fetched["status"]) == (200, "requires_payment_method")


async def test_unknown_token_is_resource_missing_and_creates_nothing(client: Client) -> None:
    response = await post(client, "/v1/payment_intents", intent_form("tok_bogus"))
    assert response.status == 400
    error = await error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "resource_missing"
    assert error["param"] == "payment_method"
    assert "tok_bogus" in error["message"]
    assert (await get_json(client, "/v1/payment_intents"))[1]["data"] == []


async def test_without_confirm_the_intent_waits_for_confirmation(client: Client) -> None:
    form = intent_form()
    form["confirm"] = "false"
    intent = await (await post(client, "/v1/payment_intents", form)).json()
    assert intent["status"] == "requires_confirmation"
    assert intent["latest_charge"] is None


@pytest.mark.parametrize(
    ("change", "status", "code", "param"),
    [
        ({"amount": "0"}, 400, "amount_too_small", "amount"),
        ({"amount": "-5"}, 400, "amount_too_small", "amount"),
        ({"amount": "19.99"}, 400, "parameter_invalid_integer", "amount"),
        ({"amount": None}, 400, "parameter_missing", "amount"),
        ({"currency": None}, 400, "parameter_missing", "currency"),
        ({"surprise": "1"}, 400, "parameter_unknown", "surprise"),
        ({"confirm": "yes"}, 400, None, "confirm"),
        ({"currency": "dollars"}, 400, None, "currency"),
    ],
)
async def test_bad_parameters_are_400s(
    client: Client, change: dict[str, str | None], status: int, code: str | None, param: str
) -> None:
    form: dict[str, str | None] = {**intent_form(), **change}
    response = await post(
        client, "/v1/payment_intents", {k: v for k, v in form.items() if v is not None}
    )
    assert response.status == status
    error = await error_of(response)
    assert error["type"] == "invalid_request_error"
    assert error.get("code") == code
    assert error["param"] == param


async def test_same_key_and_parameters_replays_the_first_response(client: Client) -> None:
    first = await post(client, "/v1/payment_intents", intent_form(), key="k-replay")
    first_body = await first.read()
    second = await post(client, "/v1/payment_intents", intent_form(), key="k-replay")
    assert (first.status, second.status) == (200, 200)
    assert await second.read() == first_body
    assert "Idempotent-Replayed" not in first.headers
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.headers["Idempotency-Key"] == "k-replay"
    assert second.headers["Original-Request"] == first.headers["Request-Id"]
    # One intent, not two.
    listed = (await get_json(client, "/v1/payment_intents"))[1]["data"]
    assert [intent["id"] for intent in listed] == [(await first.json())["id"]]


async def test_a_decline_is_replayed_with_its_status(client: Client) -> None:
    form = intent_form("tok_chargeDeclined")
    first = await post(client, "/v1/payment_intents", form, key="k-decline")
    second = await post(client, "/v1/payment_intents", form, key="k-decline")
    assert (first.status, second.status) == (402, 402)
    assert await first.read() == await second.read()
    assert second.headers["Idempotent-Replayed"] == "true"


async def test_same_key_with_other_parameters_is_an_idempotency_error(client: Client) -> None:
    assert (await post(client, "/v1/payment_intents", intent_form(), key="k-x")).status == 200
    reused = await post(client, "/v1/payment_intents", intent_form(amount=2000), key="k-x")
    assert reused.status == 400
    error = await error_of(reused)
    assert error["type"] == "idempotency_error"
    assert "k-x" in error["message"]
    other_endpoint = await post(client, "/v1/refunds", {"payment_intent": "pi_x"}, key="k-x")
    assert other_endpoint.status == 400
    assert (await error_of(other_endpoint))["type"] == "idempotency_error"


async def test_keys_are_scoped_per_api_key(client: Client) -> None:
    other = {"Authorization": "Bearer sk_test_other"}
    a = await post(client, "/v1/payment_intents", intent_form(), key="shared")
    b = await post(client, "/v1/payment_intents", intent_form(), key="shared", auth=other)
    assert (a.status, b.status) == (200, 200)
    assert "Idempotent-Replayed" not in b.headers
    assert (await a.json())["id"] != (await b.json())["id"]
    # Each key is its own account: it sees only its own objects.
    mine = (await get_json(client, "/v1/payment_intents"))[1]["data"]
    assert [intent["id"] for intent in mine] == [(await a.json())["id"]]


async def test_a_request_failing_validation_is_not_saved_under_its_key(client: Client) -> None:
    bad = await post(client, "/v1/payment_intents", intent_form(amount=0), key="k-fix")
    assert bad.status == 400
    good = await post(client, "/v1/payment_intents", intent_form(), key="k-fix")
    assert good.status == 200
    assert "Idempotent-Replayed" not in good.headers


async def test_a_key_in_flight_gets_409(make_client: Callable[..., Awaitable[Client]]) -> None:
    client = await make_client(SimConfig(latency=Latency(200, 200)))
    first, second = await asyncio.gather(
        post(client, "/v1/payment_intents", intent_form(), key="k-race"),
        post(client, "/v1/payment_intents", intent_form(), key="k-race"),
    )
    assert sorted([first.status, second.status]) == [200, 409]
    conflict = first if first.status == 409 else second
    error = await error_of(conflict)
    assert error["code"] == "idempotency_key_in_use"
    assert conflict.headers["Stripe-Should-Retry"] == "true"
    done = second if conflict is first else first
    again = await post(client, "/v1/payment_intents", intent_form(), key="k-race")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.read() == await done.read()


async def test_injected_transient_errors_are_not_saved_under_the_key(
    make_client: Callable[..., Awaitable[Client]],
) -> None:
    store = IdempotencyStore()
    flaky = await make_client(SimConfig(error_rate=1.0), idempotency=store)
    healthy = await make_client(SimConfig(error_rate=0.0), idempotency=store)
    for _ in range(3):
        failed = await post(flaky, "/v1/payment_intents", intent_form(), key="k-flaky")
        assert failed.status in (500, 503)
        assert failed.headers["Stripe-Should-Retry"] == "true"
        assert (await error_of(failed))["type"] == "api_error"
    assert (await flaky.get("/healthz")).status == 200  # only the API is faulty
    # Same key, same store: the retry executes (no replay of the 5xx, no parameter mismatch).
    retried = await post(healthy, "/v1/payment_intents", intent_form(amount=5), key="k-flaky")
    assert retried.status == 200
    assert "Idempotent-Replayed" not in retried.headers
    assert (await retried.json())["status"] == "succeeded"


async def test_lists_are_newest_first_with_cursor_pagination(client: Client) -> None:
    ids = []
    for amount in range(1, 6):
        response = await post(client, "/v1/payment_intents", intent_form(amount=amount))
        ids.append((await response.json())["id"])
    newest_first = ids[::-1]

    status, page = await get_json(client, "/v1/payment_intents", limit="2")
    assert status == 200
    assert (page["object"], page["url"]) == ("list", "/v1/payment_intents")
    assert [i["id"] for i in page["data"]] == newest_first[:2]
    assert page["has_more"] is True

    _, page = await get_json(client, "/v1/payment_intents", limit="2", starting_after=ids[3])
    assert [i["id"] for i in page["data"]] == newest_first[2:4]
    assert page["has_more"] is True

    _, page = await get_json(client, "/v1/payment_intents", limit="2", starting_after=ids[1])
    assert [i["amount"] for i in page["data"]] == [1]
    assert page["has_more"] is False

    _, page = await get_json(client, "/v1/payment_intents", limit="2", ending_before=ids[2])
    assert [i["id"] for i in page["data"]] == newest_first[:2]
    assert page["has_more"] is False

    _, page = await get_json(client, "/v1/payment_intents")
    assert [i["id"] for i in page["data"]] == newest_first
    assert page["has_more"] is False


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"limit": "0"}, "parameter_invalid_integer", "limit"),
        ({"limit": "101"}, "parameter_invalid_integer", "limit"),
        ({"limit": "ten"}, "parameter_invalid_integer", "limit"),
        ({"starting_after": "pi_nope"}, "resource_missing", "starting_after"),
        ({"foo": "bar"}, "parameter_unknown", "foo"),
    ],
)
async def test_bad_list_parameters_are_400s(
    client: Client, params: dict[str, str], code: str, param: str
) -> None:
    status, body = await get_json(client, "/v1/payment_intents", **params)
    assert status == 400
    assert (body["error"]["code"], body["error"]["param"]) == (code, param)


async def test_unknown_intent_is_404_and_unknown_url_is_stripe_shaped(client: Client) -> None:
    status, body = await get_json(client, "/v1/payment_intents/pi_missing")
    assert status == 404
    assert body["error"]["code"] == "resource_missing"
    status, body = await get_json(client, "/v1/charges")
    assert status == 404
    assert body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/charges)")


async def _charge(client: Client, amount: int = 1999, token: str = "tok_visa") -> str:
    response = await post(client, "/v1/payment_intents", intent_form(token, amount))
    body = await response.json()
    return str(body["id"] if response.status == 200 else body["error"]["payment_intent"]["id"])


async def test_full_refund_then_nothing_left(client: Client) -> None:
    intent_id = await _charge(client, 1999)
    response = await post(client, "/v1/refunds", {"payment_intent": intent_id})
    assert response.status == 200
    refund = await response.json()
    assert refund["id"].startswith("re_")
    assert (refund["object"], refund["status"]) == ("refund", "succeeded")
    assert (refund["amount"], refund["currency"], refund["payment_intent"]) == (
        1999,
        "usd",
        intent_id,
    )
    again = await post(client, "/v1/refunds", {"payment_intent": intent_id})
    assert again.status == 400
    assert (await error_of(again))["code"] == "charge_already_refunded"
    assert await get_json(client, f"/v1/refunds/{refund['id']}") == (200, refund)


async def test_partial_refunds_and_over_refund(client: Client) -> None:
    intent_id = await _charge(client, 1000)
    first = await post(client, "/v1/refunds", {"payment_intent": intent_id, "amount": "300"})
    assert (first.status, (await first.json())["amount"]) == (200, 300)
    too_much = await post(client, "/v1/refunds", {"payment_intent": intent_id, "amount": "701"})
    assert too_much.status == 400
    error = await error_of(too_much)
    assert (error["code"], error["param"]) == ("amount_too_large", "amount")
    rest = await post(client, "/v1/refunds", {"payment_intent": intent_id})
    assert (rest.status, (await rest.json())["amount"]) == (200, 700)

    other_id = await _charge(client, 50)
    await post(client, "/v1/refunds", {"payment_intent": other_id, "amount": "10"})
    _, page = await get_json(client, "/v1/refunds")
    assert [r["amount"] for r in page["data"]] == [10, 700, 300]
    _, page = await get_json(client, "/v1/refunds", payment_intent=intent_id, limit="1")
    assert [r["amount"] for r in page["data"]] == [700]
    assert page["has_more"] is True
    after = page["data"][0]["id"]
    _, page = await get_json(
        client, "/v1/refunds", payment_intent=intent_id, limit="1", starting_after=after
    )
    assert ([r["amount"] for r in page["data"]], page["has_more"]) == ([300], False)


async def test_refund_honours_idempotency_key(client: Client) -> None:
    intent_id = await _charge(client, 1000)
    form = {"payment_intent": intent_id, "amount": "400"}
    first = await post(client, "/v1/refunds", form, key="refund-1")
    second = await post(client, "/v1/refunds", form, key="refund-1")
    assert (first.status, second.status) == (200, 200)
    assert await first.read() == await second.read()
    assert second.headers["Idempotent-Replayed"] == "true"
    _, page = await get_json(client, "/v1/refunds")
    assert len(page["data"]) == 1  # refunded once
    changed = await post(client, "/v1/refunds", {**form, "amount": "500"}, key="refund-1")
    assert (await error_of(changed))["type"] == "idempotency_error"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({}, "parameter_missing"),
        ({"payment_intent": "pi_missing"}, "resource_missing"),
        ({"amount": "0"}, "amount_too_small"),
    ],
)
async def test_bad_refund_requests(client: Client, form: dict[str, str], code: str) -> None:
    if "amount" in form:
        form = {**form, "payment_intent": await _charge(client)}
    response = await post(client, "/v1/refunds", form)
    assert response.status == 400
    assert (await error_of(response))["code"] == code


async def test_only_succeeded_intents_are_refundable(client: Client) -> None:
    declined = await _charge(client, token="tok_chargeDeclined")
    response = await post(client, "/v1/refunds", {"payment_intent": declined})
    assert response.status == 400
    assert (await error_of(response))["code"] == "payment_intent_unexpected_state"


def test_idempotency_keys_expire_after_24_hours() -> None:
    now = [0.0]
    store = IdempotencyStore(clock=lambda: now[0])
    assert store.claim("acct", "k", "POST /v1/x", "fp") is None
    store.save("acct", "k", status=200, body=b"{}", content_type="application/json", request_id="r")
    now[0] = 23 * 3600
    saved = store.claim("acct", "k", "POST /v1/x", "fp")
    assert saved is not None and saved.body == b"{}"
    now[0] = 24 * 3600 + 1
    assert store.claim("acct", "k", "POST /v1/x", "other") is None  # pruned: a new request


def test_settings_from_env() -> None:
    config = SimConfig.from_env(
        {
            "PORT": "9999",
            "PAYMENT_GATEWAY_LATENCY_MS": "20-80",
            "PAYMENT_GATEWAY_ERROR_RATE": "0.25",
        }
    )
    assert (config.host, config.port, config.error_rate) == ("127.0.0.1", 9999, 0.25)
    assert config.latency == Latency(20, 80)
    assert SimConfig.from_env({}).latency == Latency(0, 0)
    assert Latency.parse("50") == Latency(50, 50)
    for bad in ("abc", "80-20", "-5"):
        with pytest.raises(ValueError, match="PAYMENT_GATEWAY_LATENCY_MS"):
            Latency.parse(bad)
    with pytest.raises(ValueError, match="PAYMENT_GATEWAY_ERROR_RATE"):
        SimConfig.from_env({"PAYMENT_GATEWAY_ERROR_RATE": "1.5"})
