output "secret_arns" {
  description = "Logical secret name => secret ARN."
  value       = { for name, secret in aws_secretsmanager_secret.secret : name => secret.arn }
}

output "secret_names" {
  description = "Logical secret name => secret name."
  value       = { for name, secret in aws_secretsmanager_secret.secret : name => secret.name }
}
