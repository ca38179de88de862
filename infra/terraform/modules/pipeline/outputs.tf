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

output "cluster_api_access" {
  description = "The rule that lets the deploy builds reach the private Kubernetes API."
  value = {
    security_group_id            = aws_vpc_security_group_ingress_rule.cluster_api_from_deploy.security_group_id
    referenced_security_group_id = aws_vpc_security_group_ingress_rule.cluster_api_from_deploy.referenced_security_group_id
    port                         = aws_vpc_security_group_ingress_rule.cluster_api_from_deploy.from_port
  }
}
