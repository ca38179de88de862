variable "region" {
  description = "AWS region of the environment (the provider's)."
  type        = string
}

variable "environment" {
  description = "dev or prod: names the k8s overlay the pipeline deploys."
  type        = string
  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment is dev or prod."
  }
}

variable "prefix" {
  description = "ECOMMERCE_PREFIX: every physical name starts with it. S3 bucket names are global, so make it unique to you (e.g. acme-shop-prod)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,24}$", var.prefix))
    error_message = "prefix: 3 to 25 characters, lowercase letters, digits and '-', starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "The VPC's /16."
  type        = string
}

variable "az_count" {
  description = "Availability zones (2 or 3)."
  type        = number
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all zones (dev) instead of one per zone (prod)."
  type        = bool
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
}

variable "admin_cidrs" {
  description = "CIDRs that may reach the EKS public API endpoint (your office/VPN); empty keeps it private."
  type        = list(string)
}

variable "admin_role_arns" {
  description = "IAM roles given cluster admin (besides the identity that creates the cluster)."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "Instance types of the node group."
  type        = list(string)
}

variable "node_min_size" {
  description = "Minimum nodes."
  type        = number
}

variable "node_desired_size" {
  description = "Nodes at creation."
  type        = number
}

variable "node_max_size" {
  description = "Maximum nodes."
  type        = number
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
}

variable "db_multi_az" {
  description = "RDS Multi-AZ standby."
  type        = bool
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "redis_num_cache_clusters" {
  description = "ElastiCache nodes (2+ adds a replica and automatic failover)."
  type        = number
}

variable "deletion_protection" {
  description = "Protect tables, the database and secrets from deletion (prod)."
  type        = bool
}

variable "force_destroy" {
  description = "Let terraform destroy empty buckets and repositories (dev only)."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days to keep logs."
  type        = number
  default     = 365
}

variable "alarm_emails" {
  description = "Addresses that receive the alarms."
  type        = list(string)
  default     = []
}

variable "public_host" {
  description = "Hostname the storefront API answers on (the ALB ingress rule), e.g. api.dev.example.com."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for public_host, in the same region."
  type        = string
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to upload product images with presigned URLs."
  type        = list(string)
}

variable "payment_gateway_url" {
  description = "PAYMENT_GATEWAY_URL of the payments worker."
  type        = string
}

variable "lb_controller_policy_arn" {
  description = "IAM policy of the AWS Load Balancer Controller (docs/deploy.md creates it)."
  type        = string
  default     = ""
}

variable "repository" {
  description = "Source repository for the pipeline, owner/name."
  type        = string
}

variable "branch" {
  description = "Branch the pipeline deploys."
  type        = string
}

variable "require_approval" {
  description = "Manual approval before the pipeline deploys."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints (prod: every API the pods call)."
  type        = list(string)
  default     = []
}

variable "unprivileged_workloads" {
  description = "Workloads of the application namespace that are not in infra/iam/permissions.json (no IAM role) but log: each gets a log group too."
  type        = list(string)
  default     = ["orders-migrate"]
}

variable "rds_ca_bundle_path" {
  description = "Where the image keeps the RDS CA bundle (Dockerfile): sslrootcert of DATABASE_URL."
  type        = string
  default     = "/etc/ssl/certs/rds-global-bundle.pem"
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
