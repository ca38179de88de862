variable "name" {
  description = "Instance identifier and prefix of its parts."
  type        = string
}

variable "region" {
  description = "AWS region of the instance (the rds-db:connect ARN)."
  type        = string
}

variable "app_user" {
  description = "Database user of the services, created by the migration Job with the rds_iam role."
  type        = string
  default     = "orders_app"
}

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the DB subnet group."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect, by a name known at plan time (e.g. { cluster = <EKS cluster security group> })."
  type        = map(string)
}

variable "engine_major_version" {
  description = "PostgreSQL major version; RDS applies minor upgrades."
  type        = string
  default     = "17"
}

variable "instance_class" {
  description = "DB instance class."
  type        = string
}

variable "allocated_storage_gib" {
  description = "Initial storage."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gib" {
  description = "Storage autoscaling ceiling."
  type        = number
  default     = 200
}

variable "database_name" {
  description = "Database the orders service uses."
  type        = string
  default     = "orders"
}

variable "master_username" {
  description = "Master user; RDS keeps its password in Secrets Manager."
  type        = string
  default     = "ecommerce"
}

variable "multi_az" {
  description = "A standby in a second zone (prod)."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days of automated backups."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse deletion and keep a final snapshot (prod)."
  type        = bool
}

variable "kms_key_arn" {
  description = "Key for storage and Performance Insights."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
