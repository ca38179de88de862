output "endpoint" {
  description = "host:port of the instance."
  value       = aws_db_instance.main.endpoint
}

output "address" {
  description = "Hostname of the instance."
  value       = aws_db_instance.main.address
}

output "port" {
  description = "Port of the instance."
  value       = aws_db_instance.main.port
}

output "database_name" {
  description = "Database of the orders service."
  value       = aws_db_instance.main.db_name
}

output "master_user_secret_arn" {
  description = "Secrets Manager secret (username, password) that RDS manages for the master user."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "app_user" {
  description = "Database user of the services: it signs in with IAM tokens (rds-db:connect), not a password."
  value       = var.app_user
}

output "app_user_arn" {
  description = "The rds-db:connect resource of the services' database user."
  value       = "arn:${data.aws_partition.current.partition}:rds-db:${var.region}:${data.aws_caller_identity.current.account_id}:dbuser:${aws_db_instance.main.resource_id}/${var.app_user}"
}

output "multi_az" {
  description = "Whether a standby runs in a second zone."
  value       = aws_db_instance.main.multi_az
}

output "iam_database_authentication" {
  description = "Whether IAM tokens sign in (the services' database user)."
  value       = aws_db_instance.main.iam_database_authentication_enabled
}
