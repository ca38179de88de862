# The public API's routes by name: the Terraform twin of src/ecommerce/edge_routes.py and
# src/ecommerce/gateway_routes.py. The gateway module reads these outputs; the local edge
# (ecommerce dev) reads the Python; tests/infra/test_infra_gateway.py fails when they differ.

locals {
  # Path prefix => the service whose frontend answers it (the ALB's listener rules); the
  # longest matching prefix wins.
  edge_routes = {
    "/auth"                  = "users"
    "/users"                 = "users"
    "/.well-known"           = "users"
    "/products"              = "catalog"
    "/categories"            = "catalog"
    "/cart"                  = "cart"
    "/orders"                = "orders"
    "/webhooks"              = "webhooks"
    "/openapi/users.json"    = "users"
    "/docs/users"            = "users"
    "/openapi/catalog.json"  = "catalog"
    "/docs/catalog"          = "catalog"
    "/openapi/cart.json"     = "cart"
    "/docs/cart"             = "cart"
    "/openapi/orders.json"   = "orders"
    "/docs/orders"           = "orders"
    "/openapi/webhooks.json" = "webhooks"
    "/docs/webhooks"         = "webhooks"
    "/"                      = "web"
    "/ops"                   = "web"
    "/assets"                = "web"
  }

  # API Gateway route key => whether the JWT authorizer guards it, and its throttling
  # (steady requests per second, burst). "$default" takes every request no other route does.
  gateway_routes = {
    "POST /auth/register"       = { authorized = false, rate_limit = 20, burst_limit = 40 }
    "POST /auth/login"          = { authorized = false, rate_limit = 20, burst_limit = 40 }
    "ANY /users/{proxy+}"       = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "GET /products"             = { authorized = false, rate_limit = 200, burst_limit = 400 }
    "GET /products/{proxy+}"    = { authorized = false, rate_limit = 200, burst_limit = 400 }
    "GET /products/{id}/images" = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "POST /products"            = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "ANY /products/{proxy+}"    = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "ANY /cart"                 = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "ANY /cart/{proxy+}"        = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "ANY /orders"               = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "ANY /orders/{proxy+}"      = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "GET /.well-known/{proxy+}" = { authorized = false, rate_limit = 200, burst_limit = 400 }
    "POST /webhooks/payments"   = { authorized = false, rate_limit = 200, burst_limit = 400 }
    "ANY /ops/api/{proxy+}"     = { authorized = true, rate_limit = 200, burst_limit = 400 }
    "$default"                  = { authorized = false, rate_limit = 200, burst_limit = 400 }
  }

  # The audience every access token carries (ecommerce.platform.http.auth.AUDIENCE).
  token_audience = "ecommerce"
}

output "edge_routes" {
  description = "Path prefix => service (the ALB's listener rules)."
  value       = local.edge_routes
}

output "gateway_routes" {
  description = "API Gateway route key => authorized, rate_limit, burst_limit."
  value       = local.gateway_routes
}

output "services" {
  description = "Every service with a public frontend."
  value       = sort(distinct(values(local.edge_routes)))
}

output "token_audience" {
  description = "The aud claim of access tokens (the JWT authorizer's audience)."
  value       = local.token_audience
}
