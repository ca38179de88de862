"""`python -m ecommerce.gateway_sim`: serve the simulator on HOST:PORT (127.0.0.1:8090)."""

from __future__ import annotations

import os
import sys

from aiohttp import web

from ecommerce.gateway_sim.app import create_app
from ecommerce.gateway_sim.config import SimConfig
from ecommerce.platform.logging import configure_logging, get_logger


def main() -> None:
    configure_logging("gateway-sim", os.environ.get("LOG_LEVEL", "INFO").upper())
    try:
        config = SimConfig.from_env()
    except ValueError as error:  # a bad setting: one line naming it, no traceback
        print(f"gateway-sim: {error}", file=sys.stderr, flush=True)
        sys.exit(2)
    get_logger("ecommerce.gateway_sim").info(
        "gateway_sim.starting",
        host=config.host,
        port=config.port,
        latency_ms=[config.latency.low_ms, config.latency.high_ms],
        error_rate=config.error_rate,
    )
    web.run_app(create_app(config), host=config.host, port=config.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
