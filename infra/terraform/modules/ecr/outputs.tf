output "repository_urls" {
  description = "Image => repository URL."
  value       = { for name, repo in aws_ecr_repository.image : name => repo.repository_url }
}

output "repository_arns" {
  description = "Image => repository ARN."
  value       = { for name, repo in aws_ecr_repository.image : name => repo.arn }
}
