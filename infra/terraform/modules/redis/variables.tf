variable "name" {
  description = "Replication group id and prefix of its parts."
  type        = string
}

variable "secret_prefix" {
  description = "Secrets are named \"<secret_prefix>/<name>\" (the ECOMMERCE_PREFIX)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the cache."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the cache subnet group."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect, by a name known at plan time (e.g. { cluster = <EKS cluster security group> })."
  type        = map(string)
}

variable "auth_token_update_strategy" {
  description = "How a changed AUTH token is applied: ROTATE (old and new both valid) or SET (only the new one)."
  type        = string
  default     = "ROTATE"
  validation {
    condition     = contains(["ROTATE", "SET"], var.auth_token_update_strategy)
    error_message = "auth_token_update_strategy is ROTATE or SET."
  }
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "node_type" {
  description = "Cache node type."
  type        = string
}

variable "num_cache_clusters" {
  description = "Nodes: 1 (dev) or 2+ for a replica with automatic failover (prod)."
  type        = number
}

variable "snapshot_retention_days" {
  description = "Days of daily snapshots."
  type        = number
  default     = 1
}

variable "apply_immediately" {
  description = "Apply changes now instead of in the maintenance window (dev)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Key for data at rest and the slow log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep the slow log."
  type        = number
  default     = 365
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
