# The application's own AWS resources, as src/ecommerce/resources.py declares them (through
# app-resources): the DynamoDB tables and their indexes, the images bucket with its upload
# notification and queue policy, the domain-events topic with one queue and DLQ per worker and
# their filtered raw subscriptions, and the secrets. The stack module composes it with the
# platform around it; `make test-terraform` applies it alone to the AWS emulator
# (infra/terraform/emulator) and runs the order saga against what it made.

module "resources" {
  source = "../app-resources"
}

module "tables" {
  source              = "../dynamodb"
  prefix              = var.prefix
  tables              = module.resources.tables
  deletion_protection = var.deletion_protection
  tags                = var.tags
}

module "buckets" {
  source                  = "../images-bucket"
  prefix                  = var.prefix
  buckets                 = module.resources.buckets
  access_logging          = var.access_logging
  access_log_bucket       = var.access_log_bucket
  cors_allowed_origins    = var.cors_allowed_origins
  deny_insecure_transport = var.deny_insecure_transport
  force_destroy           = var.force_destroy
  tags                    = var.tags
}

module "messaging" {
  source               = "../messaging"
  prefix               = var.prefix
  account_id           = var.account_id
  topic                = module.resources.topic
  queues               = module.resources.queues
  bucket_notifications = module.resources.bucket_notifications
  bucket_ids           = module.buckets.bucket_ids
  bucket_arns          = module.buckets.bucket_arns
  tags                 = var.tags
}

module "secrets" {
  source                  = "../secrets"
  prefix                  = var.prefix
  secrets                 = module.resources.secrets
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}
