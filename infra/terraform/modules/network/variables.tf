variable "name" {
  description = "Name of the VPC and prefix of its parts."
  type        = string
}

variable "cluster_name" {
  description = "EKS cluster whose load balancers may use these subnets."
  type        = string
}

variable "region" {
  description = "AWS region (the endpoints' service names)."
  type        = string
}

variable "interface_endpoints" {
  description = "AWS services reached through interface VPC endpoints, e.g. [\"sqs\", \"sns\", \"sts\"]; empty for none."
  type        = list(string)
  default     = []
}

variable "cidr" {
  description = "The VPC's /16."
  type        = string
}

variable "az_count" {
  description = "Availability zones to spread subnets over (2 or 3)."
  type        = number
  default     = 3
}

variable "single_nat_gateway" {
  description = "One NAT gateway for every zone (cheaper, dev) instead of one per zone (prod)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Key that encrypts the flow log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
