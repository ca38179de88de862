"""The users frontend: register, log in, read and change one's profile, publish the token keys."""

from __future__ import annotations

import asyncio
import ipaddress
import re
from collections.abc import AsyncIterator
from contextlib import suppress

import structlog
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ecommerce.platform.config import Settings
from ecommerce.platform.http.app import AWS, READINESS, SETTINGS, create_app
from ecommerce.platform.http.auth import KEYS_REFRESH_SECONDS, authenticate
from ecommerce.platform.http.openapi import Param, operation
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import read_json
from ecommerce.platform.jwt_keys import ALGORITHM
from ecommerce.resources import physical
from ecommerce.users.domain import EmailTaken, User, UserNotFound, VersionMismatch
from ecommerce.users.keys import UserKeys, keep_signing_keys_current
from ecommerce.users.passwords import Passwords
from ecommerce.users.schemas import (
    JwksOut,
    LoginRequest,
    OpenIdConfigurationOut,
    RegisterRequest,
    TokenOut,
    UpdateProfileRequest,
    UserOut,
)
from ecommerce.users.service import InvalidCredentials, UserService
from ecommerce.users.store import UserStore
from ecommerce.users.throttle import LoginThrottle, LoginThrottled
from ecommerce.users.tokens import TokenIssuer

USERS = web.AppKey("users", UserService)
KEYS = web.AppKey("keys", UserKeys)

NO_STORE = {"Cache-Control": "no-store"}
_ETAG = re.compile(r'"v([0-9]{1,18})"')
"""A strong ETag of a read (`"v3"`); any other If-Match value but `*` never matches (412)."""
KEYS_RELOAD_SECONDS = KEYS_REFRESH_SECONDS
TRUSTED_PROXIES = 1
"""Proxies in front of the service that append to X-Forwarded-For: the ALB in AWS, the dev
edge locally. The entry the nearest one appended is the client; earlier entries are whatever
the client sent, and trusting them would let anyone pick a new address per attempt."""


def client_address(request: web.Request) -> str:
    """The caller's IP address, as the edge saw it; else the peer's."""
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) >= TRUSTED_PROXIES:
        candidate = hops[-TRUSTED_PROXIES]
        with suppress(ValueError):
            return str(ipaddress.ip_address(candidate))
    return request.remote or "unknown"


@operation(
    "Create a customer account",
    request=RegisterRequest,
    response=UserOut,
    status=201,
    errors={409: "The email address is already registered"},
    tags=("auth",),
)
async def register(request: web.Request) -> web.Response:
    body = await read_json(request, RegisterRequest)
    try:
        user = await request.app[USERS].register(body.email, body.password, body.name)
    except EmailTaken as error:
        raise ProblemError(
            409, "Email already registered", "An account with this email address already exists."
        ) from error
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return _user_response(user, status=201)


@operation(
    "Exchange an email and a password for an access token",
    request=LoginRequest,
    response=TokenOut,
    errors={
        401: "The email address or the password is wrong",
        429: "Too many failed logins for this account or client; see Retry-After",
        503: "Logins cannot be counted right now; retry shortly",
    },
    tags=("auth",),
)
async def login(request: web.Request) -> web.Response:
    body = await read_json(request, LoginRequest)
    try:
        user, token = await request.app[USERS].login(
            body.email, body.password, client_address(request)
        )
    except InvalidCredentials as error:
        raise ProblemError(
            401, "Invalid credentials", "The email address or the password is wrong."
        ) from error
    except LoginThrottled as error:
        raise ProblemError(
            429,
            "Too many failed logins",
            f"Too many failed logins for this {error.scope}. "
            f"Try again in {error.retry_after} seconds.",
            headers={"Retry-After": str(error.retry_after)},
            retry_after=error.retry_after,
        ) from error
    except RedisError as error:
        raise ProblemError(
            503,
            "Login unavailable",
            "Logins cannot be checked right now; try again shortly.",
            headers={"Retry-After": "5"},
        ) from error
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return web.json_response(TokenOut.of(token).model_dump(), headers=NO_STORE)


@operation(
    "The caller's profile",
    response=UserOut,
    response_description="The profile; its ETag is what If-Match takes on PATCH",
    auth="bearer",
    errors={404: "The account no longer exists"},
    tags=("profile",),
)
async def me(request: web.Request) -> web.Response:
    principal = authenticate(request)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    user = await request.app[USERS].profile(principal.user_id)
    if user is None:
        raise _gone()
    return _user_response(user)


@operation(
    "Change the caller's name or addresses (only the fields sent)",
    description=(
        "`addresses` replaces the whole list, at most 5 (`[]` removes them all). Concurrent "
        "changes of different fields all apply; send `If-Match` with the ETag of a read to "
        "change only what you read."
    ),
    request=UpdateProfileRequest,
    response=UserOut,
    auth="bearer",
    params=[
        Param(
            "If-Match",
            "header",
            'The ETag of the profile as read, such as `"v3"`, or `*`; any other value (a weak '
            "or unknown tag, a list) does not match: 412",
        )
    ],
    errors={
        404: "The account no longer exists",
        412: "The profile changed since the If-Match version, or If-Match is not one of its ETags",
    },
    tags=("profile",),
)
async def update_me(request: web.Request) -> web.Response:
    principal = authenticate(request)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    body = await read_json(request, UpdateProfileRequest)
    expected = _if_match(request)
    try:
        user = await request.app[USERS].update_profile(
            principal.user_id, body.to_changes(), expected
        )
    except UserNotFound as error:
        raise _gone() from error
    except VersionMismatch as error:
        raise _changed(error.current) from error
    return _user_response(user)


@operation(
    "The public keys that verify access tokens (JWKS, RFC 7517)",
    response=JwksOut,
    tags=("auth",),
)
async def jwks(request: web.Request) -> web.Response:
    # Cached for less than a new key's activation delay, so caches see a key before its tokens.
    return web.json_response(request.app[KEYS].jwks, headers={"Cache-Control": "max-age=60"})


@operation(
    "OpenID Connect discovery: the token issuer and where its keys are",
    response=OpenIdConfigurationOut,
    tags=("auth",),
)
async def openid_configuration(request: web.Request) -> web.Response:
    issuer = request.app[SETTINGS].token_issuer
    base = (
        issuer.rstrip("/") if issuer.startswith(("https://", "http://")) else _public_base(request)
    )
    document = OpenIdConfigurationOut(
        issuer=issuer,
        jwks_uri=f"{base}/.well-known/jwks.json",
        id_token_signing_alg_values_supported=[ALGORITHM],
        response_types_supported=["token"],
        subject_types_supported=["public"],
        token_endpoint=f"{base}/auth/login",
    )
    return web.json_response(document.model_dump(), headers={"Cache-Control": "max-age=300"})


def _public_base(request: web.Request) -> str:
    """The URL the caller used (through the edge: its X-Forwarded-* headers)."""
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    return f"{scheme}://{host}"


def _user_response(user: User, status: int = 200) -> web.Response:
    return web.json_response(
        UserOut.of(user).model_dump(), status=status, headers={**NO_STORE, "ETag": _etag(user)}
    )


def _etag(user: User) -> str:
    return f'"v{user.version}"'


def _if_match(request: web.Request) -> int | None:
    """The version an If-Match header asks for; None when there is none (or it is `*`)."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    matched = _ETAG.fullmatch(raw.strip())
    if matched is None:
        raise ProblemError(412, "Precondition failed", 'If-Match takes an ETag such as "v3".')
    return int(matched.group(1))


def _gone() -> ProblemError:
    return ProblemError(404, "Not Found", "This account no longer exists.")


def _changed(version: int) -> ProblemError:
    return ProblemError(
        412,
        "Precondition failed",
        "The profile changed since you read it: read it again and re-apply your change.",
        headers={"ETag": f'"v{version}"'},
    )


async def _wire(app: web.Application) -> AsyncIterator[None]:
    clients = app[AWS]
    settings = app[SETTINGS]
    store = UserStore(await clients.client("dynamodb"), physical("users"))
    keys = await UserKeys.load(clients)
    issuer = TokenIssuer(keys.signing, settings.access_token_ttl_seconds, settings.token_issuer)
    redis = Redis.from_url(
        settings.redis_url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
    )
    throttle = LoginThrottle(redis)
    app[USERS] = UserService(store, await Passwords.create(), issuer, throttle)
    app[KEYS] = keys
    app[READINESS]["users_table"] = store.ping
    app[READINESS]["redis"] = throttle.ping
    refresher = asyncio.create_task(
        keep_signing_keys_current(keys, issuer, every=KEYS_RELOAD_SECONDS)
    )
    yield
    refresher.cancel()
    with suppress(asyncio.CancelledError):
        await refresher
    await redis.aclose()


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app.cleanup_ctx.append(_wire)
    app.router.add_post("/auth/register", register)
    app.router.add_post("/auth/login", login)
    app.router.add_get("/users/me", me)
    app.router.add_patch("/users/me", update_me)
    app.router.add_get("/.well-known/jwks.json", jwks)
    app.router.add_get("/.well-known/openid-configuration", openid_configuration)
    return app
