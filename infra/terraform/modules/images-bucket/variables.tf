variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX). S3 names are global: make it unique."
  type        = string
}

variable "buckets" {
  description = "Logical bucket names (app-resources)."
  type        = list(string)
}

variable "access_logging" {
  description = "Log the buckets' requests to access_log_bucket (a plan-time switch: the bucket's name is known only after apply)."
  type        = bool
  default     = true
}

variable "access_log_bucket" {
  description = "Bucket that receives the server access logs (with access_logging)."
  type        = string
  default     = null
}

variable "cors_allowed_origins" {
  description = "Origins whose browsers may upload with presigned POSTs/PUTs and GET images."
  type        = list(string)
}

variable "deny_insecure_transport" {
  description = "Refuse every request that is not HTTPS (the bucket policy). Always on in AWS; off only for the plain-HTTP emulators (infra/terraform/emulator), where moto enforces it."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
