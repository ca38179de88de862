variable "name" {
  description = "Name of the pipeline and prefix of its parts."
  type        = string
}

variable "source_provider" {
  description = "CodeConnections provider of the repository: GitHub, GitHubEnterpriseServer, Bitbucket or GitLab."
  type        = string
  default     = "GitHub"
}

variable "repository" {
  description = "Repository as owner/name."
  type        = string
}

variable "branch" {
  description = "Branch whose pushes run the pipeline."
  type        = string
}

variable "overlay" {
  description = "k8s/overlays/<overlay> that the deploy stage applies (dev or prod)."
  type        = string
}

variable "require_approval" {
  description = "A manual approval before Deploy (prod)."
  type        = bool
  default     = false
}

variable "ecr_repository_url" {
  description = "Repository the image is pushed to."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of that repository."
  type        = string
}

variable "eks_cluster_name" {
  description = "Cluster the deploy stage applies to."
  type        = string
}

variable "eks_cluster_arn" {
  description = "ARN of that cluster."
  type        = string
}

variable "region" {
  description = "AWS region of the pipeline."
  type        = string
}

variable "cluster_security_group_id" {
  description = "The EKS cluster security group: the deploy builds reach the private API endpoint through it."
  type        = string
}

variable "vpc_id" {
  description = "VPC the deploy builds run in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the deploy builds run in."
  type        = list(string)
}

variable "app_env_parameter_name" {
  description = "SSM parameter holding the overlay's app.env (the services' settings)."
  type        = string
}

variable "deploy_env_parameter_name" {
  description = "SSM parameter holding the overlay's deploy.env (role ARNs, queue URLs, hostname...)."
  type        = string
}

variable "ssm_parameter_arns" {
  description = "ARNs of those two parameters."
  type        = list(string)
}

variable "database_secret_arn" {
  description = "RDS-managed master user secret (DATABASE_URL is built from it)."
  type        = string
}

variable "database_host" {
  description = "Hostname of the database."
  type        = string
}

variable "database_name" {
  description = "Database of the orders service."
  type        = string
}

variable "redis_url_secret_arn" {
  description = "Secret holding the REDIS_URL."
  type        = string
}

variable "deploy_secret_arns" {
  description = "Every secret the deploy stage reads (the two above)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "Key for artifacts, build output and build logs."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket receiving the artifact bucket's access logs."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep build logs."
  type        = number
  default     = 365
}

variable "force_destroy" {
  description = "Let terraform destroy delete the non-empty artifact bucket (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
