variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX). S3 names are global: make it unique."
  type        = string
}

variable "buckets" {
  description = "Logical bucket names (app-resources)."
  type        = list(string)
}

variable "access_log_bucket" {
  description = "Bucket that receives the server access logs; null for none (the emulator apply)."
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
