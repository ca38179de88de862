output "primary_endpoint" {
  description = "Primary endpoint hostname."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "redis_url_secret_arn" {
  description = "Secret holding the whole REDIS_URL (with the AUTH token)."
  value       = aws_secretsmanager_secret.redis_url.arn
}

output "auth_token_update_strategy" {
  description = "How a changed AUTH token is applied (provider 6.x requires it with auth_token)."
  value       = aws_elasticache_replication_group.main.auth_token_update_strategy
}
