"""`python -m handlers.users` as its own process: it serves, logs JSON lines, stops on SIGTERM."""

import asyncio
import json
import os
import signal
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_until_healthy(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(200):
        try:
            async with session.get(f"{url}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the users handler did not come up")


async def test_the_handler_logs_one_json_line_per_request_with_the_user(
    provisioned: Any, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "users.log"
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "REDIS_URL": redis_url}
    with log_path.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "handlers.users",
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=log_file,
        )
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_healthy(session, url)
            email = f"log-{uuid.uuid4().hex[:8]}@example.com"
            credentials = {"email": email, "password": "correct horse"}
            async with session.post(f"{url}/auth/register", json={**credentials, "name": "A"}) as r:
                user_id = (await r.json())["id"]
            async with session.post(f"{url}/auth/login", json=credentials) as r:
                token = (await r.json())["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            async with session.get(f"{url}/users/me", headers=headers) as r:
                assert r.status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = {line["route"]: line for line in lines if line.get("event") == "http_request"}
    assert {"/auth/register", "/auth/login", "/users/me"} <= set(requests)
    for route in ("/auth/register", "/auth/login", "/users/me"):
        assert requests[route]["service"] == "users"
        assert requests[route]["user_id"] == user_id
        assert requests[route]["status"] in (200, 201)
    assert "correct horse" not in log_path.read_text()
    assert token not in log_path.read_text()
