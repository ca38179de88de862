"""The AWS emulator: a moto server (SQS, SNS, DynamoDB, S3, Secrets Manager) as a child."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aiohttp

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.servers import EmbeddedServer, start_server


async def start_moto(
    log: Path,
    *,
    port: int | None = None,
    owned: OwnedProcesses | None = None,
) -> EmbeddedServer:
    port = port or free_port()
    url = f"http://{LOOPBACK}:{port}"
    argv = [sys.executable, "-m", "ecommerce.devstack.moto_main", "-H", LOOPBACK, "-p", str(port)]
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
        "moto", argv, url=url, probe=probe, log=log, env=env, ready_within=60.0, owned=owned
    )
