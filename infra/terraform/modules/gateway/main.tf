# The public edge: an API Gateway HTTP API on the public host name, with a JWT authorizer on
# the authenticated routes, per-route throttling and JSON access logs, reaching an internal
# ALB through a VPC link. The ALB routes path prefixes (api-routes) to one target group per
# frontend; the AWS Load Balancer Controller registers the pods in them (the TargetGroupBinding
# objects in k8s/base/apps). The users service is the token issuer: the authorizer fetches
# https://<public_host>/.well-known/openid-configuration and the JWKS it names, so the keys
# must be RSA (RS256): an HTTP API's JWT authorizer accepts nothing else.

module "routes" {
  source = "../api-routes"
}

locals {
  issuer = "https://${var.public_host}"
  # Longest prefix first, so that the ALB picks the most specific rule, as the local edge does.
  ordered_prefixes = [
    for pair in reverse(sort([
      for prefix, _ in module.routes.edge_routes : format("%04d %s", length(prefix), prefix)
    ])) : substr(pair, 5, -1)
  ]
}

# --- security groups: VPC link -> ALB -> pods ------------------------------------------------

resource "aws_security_group" "vpc_link" {
  name        = "${var.prefix}-api-vpc-link"
  description = "API Gateway VPC link: HTTPS to the internal ALB only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_security_group" "alb" {
  name        = "${var.prefix}-alb"
  description = "Internal ALB: HTTPS from the API Gateway VPC link, HTTP to the frontend pods"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_egress_rule" "vpc_link_to_alb" {
  security_group_id            = aws_security_group.vpc_link.id
  description                  = "HTTPS to the internal ALB"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_vpc_link" {
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTPS from the API Gateway VPC link"
  referenced_security_group_id = aws_security_group.vpc_link.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_egress_rule" "alb_to_pods" {
  security_group_id            = aws_security_group.alb.id
  description                  = "HTTP to the frontend pods"
  referenced_security_group_id = var.pod_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.frontend_port
  to_port                      = var.frontend_port
}

resource "aws_vpc_security_group_ingress_rule" "pods_from_alb" {
  security_group_id            = var.pod_security_group_id
  description                  = "Frontend pods from the internal ALB"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.frontend_port
  to_port                      = var.frontend_port
}

# --- the internal ALB --------------------------------------------------------------------------

resource "aws_lb" "internal" {
  #checkov:skip=CKV2_AWS_28:The ALB is internal: only the API Gateway VPC link reaches it; throttling and authorization happen at the gateway.
  #checkov:skip=CKV_AWS_91:Access is logged once, at the gateway (JSON access logs per request); the internal hop adds nothing to them.
  name                       = substr("${var.prefix}-internal", 0, 32)
  internal                   = true
  load_balancer_type         = "application"
  subnets                    = var.lb_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  idle_timeout               = 60
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags
}

resource "aws_lb_target_group" "service" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB (API Gateway reaches it over HTTPS through the VPC link); the last hop to the pods stays inside the VPC, admitted only from the ALB's security group and the load balancer subnets.
  for_each             = toset(module.routes.services)
  name                 = substr("${var.prefix}-${each.key}", 0, 32)
  port                 = var.frontend_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 20

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  # A path no rule routes: the problem document the local edge answers.
  default_action {
    type = "fixed-response"
    fixed_response {
      # ALB fixed responses allow no application/problem+json: the body is the same document.
      content_type = "application/json"
      status_code  = "404"
      message_body = jsonencode({ type = "about:blank", title = "Not Found", status = 404, detail = "No service serves this path." })
    }
  }

  tags = var.tags
}

resource "aws_lb_listener_rule" "prefix" {
  for_each     = module.routes.edge_routes
  listener_arn = aws_lb_listener.https.arn
  priority     = 100 + index(local.ordered_prefixes, each.key)

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.value].arn
  }

  condition {
    path_pattern {
      # "/" is the storefront's one page, not a prefix of every path.
      values = each.key == "/" ? ["/"] : [each.key, "${each.key}/*"]
    }
  }

  tags = var.tags
}

# --- API Gateway --------------------------------------------------------------------------------

resource "aws_apigatewayv2_api" "public" {
  name                         = var.prefix
  description                  = "The storefront API (${var.public_host})"
  protocol_type                = "HTTP"
  disable_execute_api_endpoint = var.disable_execute_api_endpoint
  tags                         = var.tags
}

resource "aws_apigatewayv2_vpc_link" "alb" {
  name               = "${var.prefix}-alb"
  subnet_ids         = var.lb_subnet_ids
  security_group_ids = [aws_security_group.vpc_link.id]
  tags               = var.tags
}

resource "aws_apigatewayv2_integration" "alb" {
  api_id               = aws_apigatewayv2_api.public.id
  description          = "Every route: the internal ALB, over TLS, through the VPC link"
  integration_type     = "HTTP_PROXY"
  integration_method   = "ANY"
  integration_uri      = aws_lb_listener.https.arn
  connection_type      = "VPC_LINK"
  connection_id        = aws_apigatewayv2_vpc_link.alb.id
  timeout_milliseconds = 29000

  tls_config {
    server_name_to_verify = var.public_host
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.public.id
  name             = "access-token"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = local.issuer
    audience = [module.routes.token_audience]
  }
}

resource "aws_apigatewayv2_route" "route" {
  #checkov:skip=CKV_AWS_309:Each route's authorization comes from api-routes: the JWT authorizer on the authenticated ones; the catalog, sign-up, sign-in and the OpenID discovery are public by design (authorization_type NONE, throttled).
  for_each           = module.routes.gateway_routes
  api_id             = aws_apigatewayv2_api.public.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.alb.id}"
  authorization_type = each.value.authorized ? "JWT" : "NONE"
  authorizer_id      = each.value.authorized ? aws_apigatewayv2_authorizer.jwt.id : null
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.prefix}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.public.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit  = module.routes.gateway_routes["$default"].rate_limit
    throttling_burst_limit = module.routes.gateway_routes["$default"].burst_limit
  }

  dynamic "route_settings" {
    for_each = { for key, route in module.routes.gateway_routes : key => route if key != "$default" }
    content {
      route_key              = route_settings.key
      throttling_rate_limit  = route_settings.value.rate_limit
      throttling_burst_limit = route_settings.value.burst_limit
    }
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      ip                 = "$context.identity.sourceIp"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      routeKey           = "$context.routeKey"
      path               = "$context.path"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      latency            = "$context.responseLatency"
      authorizerError    = "$context.authorizer.error"
      userId             = "$context.authorizer.claims.sub"
      userAgent          = "$context.identity.userAgent"
    })
  }

  tags = var.tags

  # route_settings name routes by key: they must exist first.
  depends_on = [aws_apigatewayv2_route.route]
}

resource "aws_apigatewayv2_domain_name" "public" {
  domain_name = var.public_host

  domain_name_configuration {
    certificate_arn = var.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = var.tags
}

resource "aws_apigatewayv2_api_mapping" "public" {
  api_id      = aws_apigatewayv2_api.public.id
  domain_name = aws_apigatewayv2_domain_name.public.id
  stage       = aws_apigatewayv2_stage.default.id
}
