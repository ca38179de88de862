variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX); roles are \"<prefix>-<deployable>\"."
  type        = string
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider."
  type        = string
}

variable "oidc_issuer" {
  description = "The cluster's OIDC issuer without the https:// scheme."
  type        = string
}

variable "table_arns" {
  description = "Logical table name => table ARN."
  type        = map(string)
}

variable "queue_arns" {
  description = "Logical queue name => queue ARN."
  type        = map(string)
}

variable "dlq_arns" {
  description = "Logical queue name => ARN of its dead-letter queue."
  type        = map(string)
}

variable "topic_arn" {
  description = "ARN of the domain-events topic."
  type        = string
}

variable "bucket_arns" {
  description = "Logical bucket name => bucket ARN."
  type        = map(string)
}

variable "secret_arns" {
  description = "Logical secret name => secret ARN."
  type        = map(string)
}

variable "database_user_arn" {
  description = "rds-db:connect resource of the services' database user (IAM database authentication)."
  type        = string
}

variable "application_log_group_arn_prefix" {
  description = "ARN prefix of the per-deployable log groups, e.g. arn:aws:logs:REGION:ACCOUNT:log-group:/ecommerce/dev/"
  type        = string
}

variable "lb_controller_policy_arn" {
  description = "ARN of the IAM policy published by the AWS Load Balancer Controller project (empty: attach later)."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
