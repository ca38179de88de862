"""Property-based fuzzing of every service from its own OpenAPI document (schemathesis).

Each service is fuzzed on its own port, as the ALB reaches it (the edge's gateway layer answers
with API Gateway's own `{"message": ...}` bodies, which are not the services' to document), once
with a customer's token and once with an admin's. Every operation, with the phases
schemathesis runs by default: the documented examples, the coverage of each schema's edges
(once per service, `EDGES_AS`), random fuzzing, and stateful sequences along the documented
links and those it infers (place, read, cancel). It must find no 5xx, no request the document
allows refused and none it forbids accepted, no answer outside the documented statuses, content
types, headers and schemas, no operation that ignores its authentication, and every 4xx a
problem document (`schemathesis_checks.problem_json_4xx`). Settings: `schemathesis.toml`.

`SCHEMATHESIS_MAX_EXAMPLES` (default 5) bounds the examples per operation and phase. Named to
run after the other end-to-end tests, as it fills the shared stack with whatever it generated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from api_formats import PRODUCT_IDS_ENV
from devstack_runner import RunningStack
from gateway_account import read_stack_secret
from redis.asyncio import Redis
from schemathesis_checks import WEBHOOK_SECRET_ENV

from ecommerce.devstack.settings import DEFAULT_ADMIN_EMAIL, DEFAULT_ADMIN_PASSWORD
from ecommerce.payments.webhook_signature import parse_secrets
from ecommerce.users.throttle import KEY_PREFIX as THROTTLE_KEYS

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

SERVICES = ("users", "orders", "cart", "catalog")
"""The catalog last: its admin run deletes and reprices the products it finds (schemathesis
reuses the ids other answers showed it), which the order placing runs need to exist."""
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "missing_required_header",
    "unsupported_method",
    "ignored_auth",
    "positive_data_acceptance",
    "negative_data_rejection",
    "problem_json_4xx",
)
HERE = Path(__file__).parent
CONFIG = HERE / "schemathesis.toml"


def post_json(url: str, body: dict[str, str]) -> dict[str, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        document: dict[str, str] = json.loads(response.read())
        return document


@pytest.fixture(scope="module", autouse=True)
async def forget_failed_logins(stack: RunningStack) -> AsyncIterator[None]:
    """The fuzzer's thousands of bad sign-ins lock 127.0.0.1 out of the shared stack (the
    per-client login throttle, as it should); the tests after this module sign in from there."""
    yield
    redis = Redis.from_url(stack.read()["endpoints"]["redis"])
    try:
        async for key in redis.scan_iter(match=f"*{THROTTLE_KEYS}*"):
            await redis.delete(key)
    finally:
        await redis.aclose()


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> dict[str, str]:
    email, password = f"fuzz-{uuid.uuid4().hex[:8]}@example.com", "Fuzzing-Pass-2468!"
    post_json(f"{stack.edge}/auth/register", {"email": email, "password": password, "name": "F"})
    customer = post_json(f"{stack.edge}/auth/login", {"email": email, "password": password})
    admin = post_json(
        f"{stack.edge}/auth/login",
        {"email": DEFAULT_ADMIN_EMAIL, "password": DEFAULT_ADMIN_PASSWORD},
    )
    return {"customer": customer["access_token"], "admin": admin["access_token"]}


@pytest.fixture
def product_ids(stack: RunningStack) -> str:
    """Products that exist now, for the orders the fuzzer places (an unknown one is a 422)."""
    with urllib.request.urlopen(f"{stack.edge}/products?limit=100", timeout=10) as response:
        items = json.loads(response.read())["items"]
    assert items, "the stack has no products to order"
    return ",".join(item["id"] for item in items)


@pytest.fixture(scope="module")
async def webhook_secret(stack: RunningStack, stack_environ: dict[str, str]) -> str:
    secrets = await read_stack_secret(stack, stack_environ, "payment-webhook-secrets")
    return parse_secrets(secrets)[0]


def service_url(stack: RunningStack, service: str) -> str:
    for process in stack.read()["processes"]:
        if process["name"] == service:
            url: str = process["url"]
            return url
    raise AssertionError(f"{service} is not in stack.json")


EDGES_AS = {"users": "customer", "orders": "customer", "cart": "customer", "catalog": "admin"}
"""The role each service's coverage phase (the edges of every schema, the same requests whatever
the token) runs as: one that reaches every operation. The other role's run generates and follows
links (random data, stateful) only, which is where what a role may do differs."""
ALL_PHASES = "examples,coverage,fuzzing,stateful"
ROLE_PHASES = "examples,fuzzing,stateful"

RUNS = [
    *[(service, role) for service in SERVICES for role in ("customer", "admin")],
    ("webhooks", "admin"),  # signed by the processor, not by a token: one run is enough
]


@pytest.mark.parametrize(("service", "role"), RUNS)
def test_fuzzing_finds_no_server_error_and_no_schema_violation(
    stack: RunningStack,
    tokens: dict[str, str],
    product_ids: str,
    webhook_secret: str,
    service: str,
    role: str,
    tmp_path: Path,
) -> None:
    base = service_url(stack, service)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
        "SCHEMATHESIS_HOOKS": "schemathesis_checks",
        PRODUCT_IDS_ENV: product_ids,
        WEBHOOK_SECRET_ENV: webhook_secret,
    }
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--header",
        f"Authorization: Bearer {tokens[role]}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ALL_PHASES if EDGES_AS.get(service, role) == role else ROLE_PHASES,
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    # In a folder of its own: schemathesis keeps a cache of what it found in the current one.
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=540
    )
    report = done.stdout[-20_000:] + done.stderr[-5_000:]
    # The stack's own error lines say why a 500 was one (its output goes with the session).
    assert done.returncode == 0, f"{report}\n--- the stack's errors ---\n{stack.output_tail(40)}"
