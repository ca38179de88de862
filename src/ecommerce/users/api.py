"""The users frontend: register, log in, read one's profile, publish the token keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import structlog
from aiohttp import web

from ecommerce.platform.config import Settings
from ecommerce.platform.http.app import AWS, READINESS, SETTINGS, create_app
from ecommerce.platform.http.auth import authenticate
from ecommerce.platform.http.problems import ProblemError
from ecommerce.platform.http.requests import read_json
from ecommerce.resources import physical
from ecommerce.users.domain import EmailTaken
from ecommerce.users.passwords import Passwords
from ecommerce.users.schemas import LoginRequest, RegisterRequest, TokenOut, UserOut
from ecommerce.users.service import InvalidCredentials, UserService
from ecommerce.users.store import UserStore
from ecommerce.users.tokens import TokenIssuer, load_jwks, load_signing_key

USERS = web.AppKey("users", UserService)
JWKS = web.AppKey("jwks", dict[str, Any])

NO_STORE = {"Cache-Control": "no-store"}


async def register(request: web.Request) -> web.Response:
    body = await read_json(request, RegisterRequest)
    try:
        user = await request.app[USERS].register(body.email, body.password, body.name)
    except EmailTaken as error:
        raise ProblemError(
            409, "Email already registered", "An account with this email address already exists."
        ) from error
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return web.json_response(UserOut.of(user).model_dump(), status=201)


async def login(request: web.Request) -> web.Response:
    body = await read_json(request, LoginRequest)
    try:
        user, token = await request.app[USERS].login(body.email, body.password)
    except InvalidCredentials as error:
        raise ProblemError(
            401, "Invalid credentials", "The email address or the password is wrong."
        ) from error
    structlog.contextvars.bind_contextvars(user_id=user.id)
    return web.json_response(TokenOut.of(token).model_dump(), headers=NO_STORE)


async def me(request: web.Request) -> web.Response:
    principal = authenticate(request)
    structlog.contextvars.bind_contextvars(user_id=principal.user_id)
    user = await request.app[USERS].profile(principal.user_id)
    if user is None:
        raise ProblemError(404, "Not Found", "This account no longer exists.")
    return web.json_response(UserOut.of(user).model_dump(), headers=NO_STORE)


async def jwks(request: web.Request) -> web.Response:
    return web.json_response(request.app[JWKS], headers={"Cache-Control": "public, max-age=300"})


async def _wire(app: web.Application) -> AsyncIterator[None]:
    clients = app[AWS]
    store = UserStore(await clients.client("dynamodb"), physical("users"))
    issuer = TokenIssuer(await load_signing_key(clients), app[SETTINGS].access_token_ttl_seconds)
    app[USERS] = UserService(store, await Passwords.create(), issuer)
    app[JWKS] = await load_jwks(clients)
    app[READINESS]["users_table"] = store.ping
    yield


def build_app(settings: Settings) -> web.Application:
    app = create_app(settings)
    app.cleanup_ctx.append(_wire)
    app.router.add_post("/auth/register", register)
    app.router.add_post("/auth/login", login)
    app.router.add_get("/users/me", me)
    app.router.add_get("/.well-known/jwks.json", jwks)
    return app
