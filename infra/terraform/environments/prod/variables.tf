variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "prefix" {
  description = "ECOMMERCE_PREFIX; unique to you, since S3 bucket names are global (e.g. acme-shop-dev)."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
  default     = "1.35"
}

variable "admin_cidrs" {
  description = "CIDRs allowed to the EKS public API endpoint (where you run kubectl from)."
  type        = list(string)
}

variable "admin_role_arns" {
  description = "Extra IAM roles that get cluster admin."
  type        = list(string)
  default     = []
}

variable "alarm_emails" {
  description = "Addresses that receive the alarms."
  type        = list(string)
  default     = []
}

variable "public_host" {
  description = "Hostname of the storefront API."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for public_host."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to upload product images."
  type        = list(string)
}

variable "payment_gateway_url" {
  description = "PAYMENT_GATEWAY_URL of the payments worker."
  type        = string
}

variable "lb_controller_policy_arn" {
  description = "IAM policy ARN of the AWS Load Balancer Controller."
  type        = string
  default     = ""
}

variable "repository" {
  description = "Source repository of the pipeline, owner/name."
  type        = string
}

variable "branch" {
  description = "Branch the pipeline deploys."
  type        = string
}
