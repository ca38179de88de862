"""The one table of what the local stack runs: every handler, worker and the gateway simulator.

Each entry is started as `python -m <module>`. An entry whose module does not exist (yet) is
skipped with a notice, so the stack starts while services are still being written.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    GATEWAY = "gateway"
    """The payment gateway simulator: listens on PORT; replaced by PAYMENT_GATEWAY_URL."""
    HANDLER = "handler"
    """An HTTP frontend: listens on PORT; the edge routes to it by `service`."""
    WORKER = "worker"
    """A queue consumer: no port."""


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    module: str
    kind: Kind
    service: str | None = None
    """For handlers: the service name of `ecommerce.edge_routes` it answers for."""

    @property
    def listens(self) -> bool:
        return self.kind is not Kind.WORKER


PROCESSES: tuple[ProcessSpec, ...] = (
    ProcessSpec("gateway-sim", "ecommerce.gateway_sim", Kind.GATEWAY),
    ProcessSpec("users", "handlers.users", Kind.HANDLER, "users"),
    ProcessSpec("catalog", "handlers.catalog", Kind.HANDLER, "catalog"),
    ProcessSpec("cart", "handlers.cart", Kind.HANDLER, "cart"),
    ProcessSpec("orders", "handlers.orders", Kind.HANDLER, "orders"),
    ProcessSpec("web", "handlers.web", Kind.HANDLER, "web"),
    ProcessSpec("inventory-worker", "workers.inventory", Kind.WORKER),
    ProcessSpec("orders-worker", "workers.orders", Kind.WORKER),
    ProcessSpec("payments-worker", "workers.payments", Kind.WORKER),
    ProcessSpec("images-worker", "workers.images", Kind.WORKER),
    ProcessSpec("outbox-relay", "workers.outbox_relay", Kind.WORKER),
)


def module_runnable(module: str) -> bool:
    """True if `python -m module` would find something to run.

    A module that exists but fails to import still counts: started, it crashes and its log
    says why, which is more useful than skipping it.
    """
    try:
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations is not None:
            spec = importlib.util.find_spec(f"{module}.__main__")
    except ModuleNotFoundError as error:
        # Missing if what is missing is the module or a package above it.
        return not (error.name and (module + ".").startswith(error.name + "."))
    except Exception:
        return True
    return spec is not None


def runnable(
    specs: tuple[ProcessSpec, ...] = PROCESSES,
) -> tuple[list[ProcessSpec], list[ProcessSpec]]:
    """The specs split into (runnable, missing)."""
    present: list[ProcessSpec] = []
    missing: list[ProcessSpec] = []
    for spec in specs:
        (present if module_runnable(spec.module) else missing).append(spec)
    return present, missing
