variable "name" {
  description = "Cluster name (also the prefix of its IAM roles)."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the control plane ENIs and the nodes."
  type        = list(string)
}

variable "admin_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint; empty makes the endpoint private only."
  type        = list(string)
}

variable "admin_role_arns" {
  description = "IAM roles granted cluster admin through EKS access entries."
  type        = list(string)
  default     = []
}

variable "deployer_role_arn" {
  description = "IAM role of the pipeline's deploy stage."
  type        = string
}

variable "kms_key_arn" {
  description = "Key for Kubernetes secrets and the control plane log group."
  type        = string
}

variable "node_instance_types" {
  description = "Instance types of the managed node group."
  type        = list(string)
}

variable "node_min_size" {
  description = "Minimum nodes."
  type        = number
}

variable "node_desired_size" {
  description = "Nodes at creation (the cluster autoscaler or you change it later)."
  type        = number
}

variable "node_max_size" {
  description = "Maximum nodes."
  type        = number
}

variable "node_disk_gib" {
  description = "Root volume size of each node."
  type        = number
  default     = 50
}

variable "log_retention_days" {
  description = "Days to keep control plane logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
