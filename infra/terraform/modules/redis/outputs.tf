output "primary_endpoint" {
  description = "Primary endpoint hostname."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "redis_url_secret_arn" {
  description = "Secret holding the whole REDIS_URL (with the AUTH token)."
  value       = aws_secretsmanager_secret.redis_url.arn
}
