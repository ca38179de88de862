output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.public.id
}

output "issuer" {
  description = "The token issuer the JWT authorizer trusts (TOKEN_ISSUER of the services)."
  value       = local.issuer
}

output "domain_target" {
  description = "Where the public host's DNS record points (an alias A record, or a CNAME)."
  value       = aws_apigatewayv2_domain_name.public.domain_name_configuration[0].target_domain_name
}

output "domain_hosted_zone_id" {
  description = "Hosted zone of domain_target, for a Route 53 alias record."
  value       = aws_apigatewayv2_domain_name.public.domain_name_configuration[0].hosted_zone_id
}

output "target_group_arns" {
  description = "Service => target group the Load Balancer Controller fills with its pods."
  value       = { for service, group in aws_lb_target_group.service : service => group.arn }
}

output "alb_security_group_id" {
  description = "Security group of the internal ALB."
  value       = aws_security_group.alb.id
}

output "access_log_group" {
  description = "Log group of the API's access logs."
  value       = aws_cloudwatch_log_group.access.name
}

output "routes" {
  description = "Route key => its authorization type (JWT or NONE)."
  value       = { for key, route in aws_apigatewayv2_route.route : key => route.authorization_type }
}

output "authorizer" {
  description = "The JWT authorizer's issuer and audience."
  value = {
    issuer   = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].issuer
    audience = aws_apigatewayv2_authorizer.jwt.jwt_configuration[0].audience
  }
}
