output "pipeline_name" {
  description = "Name of the pipeline."
  value       = aws_codepipeline.main.name
}

output "connection_arn" {
  description = "CodeConnections connection to authorize once in the console."
  value       = aws_codestarconnections_connection.source.arn
}

output "deploy_role_arn" {
  description = "Role of the deploy stage (an EKS access entry maps it to ecommerce-deployers)."
  value       = aws_iam_role.deploy.arn
}

output "deploy_security_group_id" {
  description = "Security group of the deploy builds."
  value       = aws_security_group.deploy.id
}
