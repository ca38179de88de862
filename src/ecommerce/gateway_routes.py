"""The public API's routes as API Gateway holds them: which ones need a valid access token,
and how many requests a second each takes.

In AWS these are the routes of the HTTP API (infra/terraform/modules/api-routes, kept equal to
this file by tests/infra/test_infra_gateway.py): its JWT authorizer answers 401 on the
authenticated ones without a valid token, and its throttling answers 429 past a route's rate.
The local edge (`ecommerce dev`) applies the same table, so clients meet the same answers.
Behind both, `edge_routes` picks the service by path prefix (the ALB's listener rules).

Route selection follows API Gateway's: a route whose path has no greedy `{proxy+}` beats one
that has; then the one with more literal segments; then a method before `ANY`; `$default`
takes what nothing else does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    """A token bucket: `rate_limit` requests a second on average, `burst_limit` at once."""

    rate_limit: float
    burst_limit: int


STANDARD = Throttle(rate_limit=200, burst_limit=400)
SIGN_IN = Throttle(rate_limit=20, burst_limit=40)
"""Account creation and password sign-in: a tighter budget against credential stuffing."""

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class GatewayRoute:
    key: str
    """API Gateway's route key: "METHOD /path" (`ANY`, `{name}`, a final `{proxy+}`) or
    "$default"."""
    authorized: bool = False
    throttle: Throttle = STANDARD

    @property
    def method(self) -> str:
        return "ANY" if self.key == DEFAULT_ROUTE else self.key.split(" ", 1)[0]

    @property
    def segments(self) -> tuple[str, ...]:
        if self.key == DEFAULT_ROUTE:
            return ()
        return tuple(part for part in self.key.split(" ", 1)[1].split("/") if part)

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def matches(self, method: str, path: str) -> bool:
        if self.key == DEFAULT_ROUTE:
            return True
        if self.method not in ("ANY", method.upper()):
            return False
        parts = [part for part in path.split("/") if part]
        pattern = self.segments
        if self.greedy:
            if len(parts) < len(pattern):
                return False
            pattern = pattern[:-1]
            parts = parts[: len(pattern)]
        elif len(parts) != len(pattern):
            return False
        return all(p.startswith("{") or p == part for p, part in zip(pattern, parts, strict=True))

    def rank(self) -> tuple[int, int, int, int]:
        """Higher wins: not $default, no greedy variable, more literal segments, a method."""
        literal = sum(1 for part in self.segments if not part.startswith("{"))
        return (
            self.key != DEFAULT_ROUTE,
            not self.greedy,
            literal,
            self.method != "ANY",
        )


GATEWAY_ROUTES: tuple[GatewayRoute, ...] = (
    GatewayRoute("POST /auth/register", throttle=SIGN_IN),
    GatewayRoute("POST /auth/login", throttle=SIGN_IN),
    GatewayRoute("ANY /users/{proxy+}", authorized=True),
    GatewayRoute("GET /products"),
    GatewayRoute("GET /products/{proxy+}"),
    # Reading a product's images is an admin page (catalog checks the role).
    GatewayRoute("GET /products/{id}/images", authorized=True),
    GatewayRoute("POST /products", authorized=True),
    GatewayRoute("ANY /products/{proxy+}", authorized=True),
    GatewayRoute("ANY /cart", authorized=True),
    GatewayRoute("ANY /cart/{proxy+}", authorized=True),
    GatewayRoute("ANY /orders", authorized=True),
    GatewayRoute("ANY /orders/{proxy+}", authorized=True),
    GatewayRoute("GET /.well-known/{proxy+}"),
    # The payment processor's webhooks: no token, the signature is checked behind.
    GatewayRoute("POST /webhooks/payments"),
    # The console's API (the web frontend checks the admin role); its pages are public files.
    GatewayRoute("ANY /ops/api/{proxy+}", authorized=True),
    # Sign-up, categories, the API documents, unknown paths (the ALB's 404).
    GatewayRoute(DEFAULT_ROUTE),
)


def route_for(method: str, path: str) -> GatewayRoute:
    """The route API Gateway picks for a request."""
    candidates = [route for route in GATEWAY_ROUTES if route.matches(method, path)]
    return max(candidates, key=GatewayRoute.rank)
