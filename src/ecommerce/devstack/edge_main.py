"""The dev edge as a process of its own: `python -m ecommerce.devstack.edge_main`.

`ecommerce dev` runs it apart from the supervisor, whose event loop also carries every
process's log lines to the terminal: a proxy sharing that loop waited behind the log echo.
It listens on `PORT` and routes to the handlers named in `ECOMMERCE_EDGE_UPSTREAMS`, a JSON
object of service => base URL, applying API Gateway's throttling and JWT authorizer with the
issuer `ECOMMERCE_EDGE_ISSUER` (`devstack.gateway`). A handler that is starting or restarting
refuses connections, which the edge answers with 503 and `Retry-After`, as it does for a
service not in the stack.
"""

from __future__ import annotations

import json
import os

from aiohttp import web

from ecommerce.devstack.edge import Resolve, create_edge_app
from ecommerce.devstack.gateway import Gateway
from ecommerce.devstack.ports import LOOPBACK
from ecommerce.devstack.supervisor import Upstream
from ecommerce.platform.http.auth import AUDIENCE
from ecommerce.platform.http.limits import PARSER_LIMITS

UPSTREAMS_ENV = "ECOMMERCE_EDGE_UPSTREAMS"
ISSUER_ENV = "ECOMMERCE_EDGE_ISSUER"


def static_resolver(upstreams: dict[str, str]) -> Resolve:
    def resolve(service: str) -> Upstream | None:
        url = upstreams.get(service)
        return Upstream(url, True) if url else None

    return resolve


def main() -> None:
    upstreams: dict[str, str] = json.loads(os.environ.get(UPSTREAMS_ENV) or "{}")
    gateway = Gateway(audience=AUDIENCE, issuer=os.environ.get(ISSUER_ENV) or None)
    web.run_app(
        create_edge_app(static_resolver(upstreams), gateway),
        host=os.environ.get("HOST", LOOPBACK),
        port=int(os.environ["PORT"]),
        access_log=None,
        print=None,
        shutdown_timeout=2.0,
        reuse_address=True,
        **PARSER_LIMITS,
    )


if __name__ == "__main__":
    main()
