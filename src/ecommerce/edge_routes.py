"""Which service answers which public path prefix.

The dev edge gateway routes by this table, as the ALB ingress in `k8s/` does in AWS.
"""

from __future__ import annotations

EDGE_ROUTES: tuple[tuple[str, str], ...] = (
    ("/auth", "users"),
    ("/users", "users"),
    ("/.well-known", "users"),
    ("/products", "catalog"),
    ("/categories", "catalog"),
    ("/cart", "cart"),
    ("/orders", "orders"),
    ("/webhooks", "webhooks"),
    # The storefront's page (exactly "/": no prefix of every path), the console and their files.
    ("/", "web"),
    ("/ops", "web"),
    ("/assets", "web"),
    # Each service's API document and docs page, by name.
    *(
        (path, service)
        for service in ("users", "catalog", "cart", "orders", "webhooks")
        for path in (f"/openapi/{service}.json", f"/docs/{service}")
    ),
)
"""(path prefix, service); the longest matching prefix wins."""


def service_for(path: str) -> str | None:
    best: tuple[int, str] | None = None
    for prefix, service in EDGE_ROUTES:
        below = prefix != "/" and path.startswith(prefix + "/")  # "/" is the one page, exactly
        if (path == prefix or below) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), service)
    return best[1] if best else None
