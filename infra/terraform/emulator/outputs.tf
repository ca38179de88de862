output "topic_arn" {
  description = "ECOMMERCE_TOPIC_ARN for the stack."
  value       = module.application.topic_arn
}

output "queue_urls" {
  description = "Logical queue name => queue URL."
  value       = module.application.queue_urls
}

output "table_names" {
  description = "Logical table name => table name."
  value       = module.application.table_names
}

output "bucket_ids" {
  description = "Logical bucket name => bucket name."
  value       = module.application.bucket_ids
}

output "secret_names" {
  description = "Logical secret name => secret name."
  value       = module.application.secret_names
}
