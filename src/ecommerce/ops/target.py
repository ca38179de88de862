"""Which AWS endpoint an operator command talks to, and with which credentials.

In order: `--endpoint-url`; `--aws` (the SDK's own endpoints and credential chain, for a real
account); `AWS_ENDPOINT_URL` or `AWS_ENDPOINT_URL_SQS` from the environment, used as they are
(with the caller's credentials, or the emulators' dummy ones when nothing names any: LocalStack
takes any key, and the SDK would otherwise fail with "Unable to locate credentials");
otherwise the running dev stack's AWS endpoint from `stack.json` (in `.devstack/`, or
`ECOMMERCE_STATE_DIR`), with the emulator's dummy credentials, so that a command works against
`make run` with nothing typed before it. With none of these there is no safe guess: the command
says so rather than reach for whatever account the SDK would find.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from ecommerce.devstack.environment import (
    DEFAULT_REGION,
    EMULATOR_CREDENTIALS,
    aws_environment,
    aws_variables_to_drop,
)
from ecommerce.devstack.jsonfile import read_json
from ecommerce.devstack.state import StateDir

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS")
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
"""Where the SDK finds credentials without a network call, besides the shared files."""
DROPPED_WITH_THE_STACK = ("AWS_ENDPOINT_URL_DYNAMODB",)


class NoEndpoint(Exception):
    """Neither the environment nor a running dev stack names an AWS endpoint."""


@dataclass(frozen=True)
class AwsTarget:
    endpoint: str | None
    """The endpoint URL, or None for the SDK's own AWS endpoints."""
    source: str
    """Where it came from, for people: `--endpoint-url`, `AWS_ENDPOINT_URL`, the stack file..."""
    set_variables: dict[str, str] = field(default_factory=dict)
    drop_variables: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{self.endpoint or 'AWS (SDK endpoints)'} ({self.source})"

    def apply(self, environ: MutableMapping[str, str] | None = None) -> None:
        """Put the endpoint, region and credentials where botocore reads them."""
        env = os.environ if environ is None else environ
        for name in self.drop_variables:
            env.pop(name, None)
        env.update(self.set_variables)


def resolve_target(
    environ: Mapping[str, str],
    *,
    endpoint_url: str | None = None,
    use_aws: bool = False,
    cwd: Path | None = None,
    home: Path | None = None,
) -> AwsTarget:
    """Where to send AWS calls; raises `NoEndpoint` when nothing names an endpoint."""
    if endpoint_url:
        return AwsTarget(
            endpoint_url,
            "--endpoint-url",
            aws_environment(environ, endpoint_url, embedded=False),
            ENDPOINT_VARIABLES,
        )
    if use_aws:
        # The caller's credential chain, untouched; only the region gets a default.
        env = aws_environment(environ, None, embedded=False)
        regional = {name: value for name, value in env.items() if name.endswith("REGION")}
        return AwsTarget(None, "--aws", regional, ENDPOINT_VARIABLES)
    for name in ENDPOINT_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return AwsTarget(value, name, _given_endpoint_environment(environ, home))
    state = StateDir.from_env(cwd)
    stack = read_json(state.stack_file)
    endpoints = stack.get("endpoints")
    aws = endpoints.get("aws") if isinstance(endpoints, dict) else None
    if isinstance(aws, str) and aws:
        dynamodb = endpoints.get("dynamodb") if isinstance(endpoints, dict) else None
        env = aws_environment(
            environ,
            aws,
            embedded=True,
            dynamodb_endpoint=dynamodb if isinstance(dynamodb, str) and dynamodb else None,
        )
        return AwsTarget(
            aws,
            f"dev stack, {state.stack_file}",
            env,
            (
                *ENDPOINT_VARIABLES,
                *DROPPED_WITH_THE_STACK,
                *aws_variables_to_drop(embedded=True),
            ),
        )
    raise NoEndpoint(
        "no AWS endpoint: set AWS_ENDPOINT_URL, pass --endpoint-url URL (or --aws for the "
        f"account your AWS credentials name), or start the dev stack with `make run` "
        f"(no running stack found: {state.stack_file} "
        f"{'names no AWS endpoint' if stack else 'does not exist'})"
    )


def _given_endpoint_environment(environ: Mapping[str, str], home: Path | None) -> dict[str, str]:
    """For an endpoint the caller named: a region when none is set, and the emulators' dummy
    credentials when neither a variable nor a shared file names any (without them the SDK
    would look for an instance role, and fail)."""
    env: dict[str, str] = {}
    if not (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")):
        env = {"AWS_REGION": DEFAULT_REGION, "AWS_DEFAULT_REGION": DEFAULT_REGION}
    files = (
        Path(
            environ.get("AWS_SHARED_CREDENTIALS_FILE") or (home or Path.home()) / ".aws/credentials"
        ),
        Path(environ.get("AWS_CONFIG_FILE") or (home or Path.home()) / ".aws/config"),
    )
    named = any(environ.get(name) for name in CREDENTIAL_VARIABLES) or any(
        file.is_file() for file in files
    )
    if not named:
        env.update(EMULATOR_CREDENTIALS)
    return env


def stack_endpoint(name: str, cwd: Path | None = None) -> str | None:
    """An endpoint of the running dev stack (`gateway`, `database`...), from its stack.json."""
    endpoints = read_json(StateDir.from_env(cwd).stack_file).get("endpoints")
    value = endpoints.get(name) if isinstance(endpoints, dict) else None
    return value if isinstance(value, str) and value else None
