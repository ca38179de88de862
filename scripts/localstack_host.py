"""Run LocalStack in host mode as `python -m localstack.runtime.main` does, in a session of its own.

Started by `scripts/localstack.sh start` with the LocalStack venv's Python 3.13; not imported by the
project. Two things differ from running the module directly:

- It calls `os.setsid()` first, so LocalStack and anything it spawns share one process group that
  `scripts/localstack.sh stop` signals as a whole.
- LocalStack 2026.3's twisted gateway ignores the host part of `GATEWAY_LISTEN` for IPv4 (it
  builds `TCP4ServerEndpoint(reactor, port)`, which binds 0.0.0.0). The endpoint factory it sees
  is replaced by one that binds the host named in `GATEWAY_LISTEN`, so `127.0.0.1:4566` means
  loopback only, as it does with `GATEWAY_SERVER=hypercorn`.
"""

from __future__ import annotations

import contextlib
import os
import runpy
from typing import Any


def _own_process_group() -> None:
    # PermissionError: already a process group leader (started by `setsid` or a job-control
    # shell), so the group is ours already.
    with contextlib.suppress(PermissionError):
        os.setsid()


def _bind_gateway_to_listen_host() -> None:
    from localstack import config
    from localstack.runtime.server import twisted as gateway_server
    from twisted.internet import endpoints

    hosts = {listen.port: listen.host for listen in config.GATEWAY_LISTEN}
    tcp4: Any = endpoints.TCP4ServerEndpoint

    class _Endpoints:
        """What `localstack.runtime.server.twisted` sees as `twisted.internet.endpoints`."""

        TCP6ServerEndpoint = endpoints.TCP6ServerEndpoint

        @staticmethod
        def TCP4ServerEndpoint(  # the name the patched module looks up
            reactor: Any, port: int, backlog: int = 50, interface: str = ""
        ) -> Any:
            return tcp4(reactor, port, backlog=backlog, interface=interface or hosts.get(port, ""))

    vars(gateway_server)["endpoints"] = _Endpoints


def main() -> None:
    _own_process_group()
    _bind_gateway_to_listen_host()
    runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
