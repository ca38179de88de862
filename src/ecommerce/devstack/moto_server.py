"""The AWS emulator: moto servers as children of the stack.

Two of them (`start_emulators`): one for DynamoDB, one for SNS, SQS, S3 and Secrets Manager,
reached through `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL`, the SDK's own variables. A
saga step costs both DynamoDB and SQS work; in one process the two took turns on one core.
Given a state directory, each keeps what it holds in a file of its own there (`moto_state`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.servers import EmbeddedServer, start_server

DYNAMODB_ENDPOINT_ENV = "AWS_ENDPOINT_URL_DYNAMODB"


async def start_moto(
    log: Path,
    *,
    port: int | None = None,
    owned: OwnedProcesses | None = None,
    name: str = "moto",
    count_calls: bool = False,
    state: Path | None = None,
    snapshot_every: float = 10.0,
) -> EmbeddedServer:
    """A moto server; with `state`, a file that keeps what it holds across restarts (written
    every `snapshot_every` seconds while requests come in, 0: only at stop)."""
    port = port or free_port()
    url = f"http://{LOOPBACK}:{port}"
    argv = [sys.executable, "-m", "ecommerce.devstack.moto_main", "-H", LOOPBACK, "-p", str(port)]
    if count_calls:
        argv.append("--count-calls")
    if state is not None:
        argv += ["--state", str(state), "--snapshot-every", str(snapshot_every)]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_ENDPOINT")}
    env["PYTHONUNBUFFERED"] = "1"

    async def probe() -> bool:
        timeout = aiohttp.ClientTimeout(total=2)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{url}/moto-api/data.json") as response,
        ):
            return response.status == 200

    return await start_server(
        name, argv, url=url, probe=probe, log=log, env=env, ready_within=60.0, owned=owned
    )


def emulator_state(state_dir: Path, name: str) -> Path:
    """The file emulator `name` keeps its state in."""
    return state_dir / f"{name}.pickle"


@dataclass(frozen=True)
class Emulators:
    main: EmbeddedServer
    """SNS, SQS, S3 and Secrets Manager: `AWS_ENDPOINT_URL`."""
    dynamodb: EmbeddedServer
    """DynamoDB: `AWS_ENDPOINT_URL_DYNAMODB`."""

    @property
    def servers(self) -> tuple[EmbeddedServer, EmbeddedServer]:
        return self.main, self.dynamodb

    async def stop(self) -> None:
        await asyncio.gather(*(server.stop() for server in self.servers))


async def start_emulators(
    log_dir: Path,
    *,
    owned: OwnedProcesses | None = None,
    count_calls: bool = False,
    state_dir: Path | None = None,
    snapshot_every: float = 10.0,
) -> Emulators:
    """Both emulators, started side by side; if one fails, the other is stopped too.

    With `state_dir`, each keeps its state there (`moto.pickle`, `moto-dynamodb.pickle`).
    """

    def state(name: str) -> Path | None:
        return emulator_state(state_dir, name) if state_dir is not None else None

    started = await asyncio.gather(
        start_moto(
            log_dir / "moto.log",
            owned=owned,
            count_calls=count_calls,
            state=state("moto"),
            snapshot_every=snapshot_every,
        ),
        start_moto(
            log_dir / "moto-dynamodb.log",
            owned=owned,
            name="moto-dynamodb",
            count_calls=count_calls,
            state=state("moto-dynamodb"),
            snapshot_every=snapshot_every,
        ),
        return_exceptions=True,
    )
    servers = [server for server in started if isinstance(server, EmbeddedServer)]
    for failure in started:
        if isinstance(failure, BaseException):
            await asyncio.gather(*(server.stop() for server in servers))
            if owned is not None:
                for server in servers:
                    await owned.remove(server.pid)
            raise failure
    main, dynamodb = servers
    return Emulators(main, dynamodb)
