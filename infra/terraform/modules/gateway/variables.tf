variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the internal ALB."
  type        = string
}

variable "lb_subnet_ids" {
  description = "Subnets of the internal ALB and the VPC link (network module's lb subnets)."
  type        = list(string)
}

variable "pod_security_group_id" {
  description = "Security group of the frontend pods (the EKS cluster security group)."
  type        = string
}

variable "frontend_port" {
  description = "Port the frontend pods listen on (PORT in k8s/base/apps)."
  type        = number
  default     = 8000
}

variable "public_host" {
  description = "Host name of the API (the custom domain, the token issuer https://<public_host>)."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for public_host (the custom domain and the ALB's listener)."
  type        = string
}

variable "disable_execute_api_endpoint" {
  description = "Answer only on public_host, not on the execute-api address."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the ALB (prod)."
  type        = bool
}

variable "log_retention_days" {
  description = "Days to keep the access logs."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "Key of the access log group."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
