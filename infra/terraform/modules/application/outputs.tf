output "table_arns" {
  description = "Logical table name => table ARN."
  value       = module.tables.table_arns
}

output "table_names" {
  description = "Logical table name => physical table name."
  value       = module.tables.table_names
}

output "bucket_ids" {
  description = "Logical bucket name => bucket name."
  value       = module.buckets.bucket_ids
}

output "bucket_arns" {
  description = "Logical bucket name => bucket ARN."
  value       = module.buckets.bucket_arns
}

output "topic_arn" {
  description = "ECOMMERCE_TOPIC_ARN."
  value       = module.messaging.topic_arn
}

output "queue_arns" {
  description = "Logical queue name => queue ARN."
  value       = module.messaging.queue_arns
}

output "dlq_arns" {
  description = "Logical queue name => ARN of its dead-letter queue."
  value       = module.messaging.dlq_arns
}

output "queue_urls" {
  description = "Logical queue name => queue URL."
  value       = module.messaging.queue_urls
}

output "queue_names" {
  description = "Logical queue name => physical queue name."
  value       = module.messaging.queue_names
}

output "dlq_names" {
  description = "Logical queue name => physical name of its dead-letter queue."
  value       = module.messaging.dlq_names
}

output "secret_arns" {
  description = "Logical secret name => secret ARN."
  value       = module.secrets.secret_arns
}

output "secret_names" {
  description = "Logical secret name => secret name."
  value       = module.secrets.secret_names
}

output "redrive_policies" {
  description = "Logical queue name => its redrive policy (deadLetterTargetArn, maxReceiveCount)."
  value       = module.messaging.redrive_policies
}

output "filter_policies" {
  description = "Logical queue name => filter policy, scope and raw delivery of its subscription."
  value       = module.messaging.filter_policies
}

output "declared" {
  description = "What resources.py declares (through app-resources): queues, tables, buckets, secrets."
  value = {
    queues  = module.resources.queues
    tables  = module.resources.tables
    buckets = module.resources.buckets
    secrets = module.resources.secrets
  }
}
