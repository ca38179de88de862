# ElastiCache Redis for the cart: private, encrypted at rest and in transit (TLS), an AUTH
# token, automatic failover across zones when there are replicas (prod). The token and the
# whole REDIS_URL live in Secrets Manager; the deploy step copies the URL into the cluster.

# The AUTH token comes from Secrets Manager's password generator (only the aws provider is
# used). A data source answers a new password at every read, so the token is kept by the
# secret version that first stored it: ignore_changes holds that value in state from then on.
# To rotate: terraform apply -replace=<this module>.aws_secretsmanager_secret_version.auth_token
# (ElastiCache keeps the old token valid beside the new one: ROTATE), deploy, then set
# auth_token_update_strategy to SET and apply again to drop the old one (docs/deploy.md).
data "aws_secretsmanager_random_password" "auth" {
  password_length     = 64
  exclude_punctuation = true
  include_space       = false
}

resource "aws_secretsmanager_secret" "auth_token" {
  #checkov:skip=CKV_AWS_149:AWS managed key (aws/secretsmanager); only Terraform reads this secret, the services get the URL secret below.
  #checkov:skip=CKV2_AWS_57:The AUTH token is rotated by replacing this secret version in Terraform (ElastiCache's ROTATE strategy), not by a rotation Lambda.
  name                    = "${var.secret_prefix}/redis-auth-token"
  description             = "AUTH token of the cart's ElastiCache replication group"
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  secret_id     = aws_secretsmanager_secret.auth_token.id
  secret_string = data.aws_secretsmanager_random_password.auth.random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

locals {
  auth_token = aws_secretsmanager_secret_version.auth_token.secret_string
}

resource "aws_elasticache_subnet_group" "main" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "redis" {
  name        = "${var.name}-redis"
  description = "Redis, reachable from the EKS cluster only"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

# Keyed by a name known at plan time: the ids themselves are unknown until the cluster exists.
resource "aws_vpc_security_group_ingress_rule" "from_cluster" {
  for_each                     = var.client_security_group_ids
  security_group_id            = aws_security_group.redis.id
  description                  = "Redis TLS from ${each.key}"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
}

resource "aws_cloudwatch_log_group" "slow_log" {
  name              = "/aws/elasticache/${var.name}/slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_elasticache_replication_group" "main" {
  #checkov:skip=CKV2_AWS_50:Automatic failover needs a replica: it is on whenever num_cache_clusters > 1 (prod); dev runs one node on purpose.
  replication_group_id       = var.name
  description                = "Carts (${var.name})"
  engine                     = "redis"
  engine_version             = var.engine_version
  node_type                  = var.node_type
  num_cache_clusters         = var.num_cache_clusters
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.redis.id]
  automatic_failover_enabled = var.num_cache_clusters > 1
  multi_az_enabled           = var.num_cache_clusters > 1
  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = local.auth_token
  auth_token_update_strategy = var.auth_token_update_strategy
  auto_minor_version_upgrade = true
  snapshot_retention_limit   = var.snapshot_retention_days
  apply_immediately          = var.apply_immediately

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }

  tags = var.tags
}

resource "aws_secretsmanager_secret" "redis_url" {
  #checkov:skip=CKV_AWS_149:AWS managed key (aws/secretsmanager); only the deploy role reads this secret.
  #checkov:skip=CKV2_AWS_57:The AUTH token is rotated by changing it in Terraform (ElastiCache's AUTH rotation), not by a rotation Lambda.
  name                    = "${var.secret_prefix}/redis-url"
  description             = "REDIS_URL of the cart service: rediss://:<auth token>@<primary endpoint>:6379/0"
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id     = aws_secretsmanager_secret.redis_url.id
  secret_string = "rediss://:${urlencode(local.auth_token)}@${aws_elasticache_replication_group.main.primary_endpoint_address}:6379/0"
}
