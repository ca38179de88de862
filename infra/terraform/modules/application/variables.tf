variable "prefix" {
  description = "ECOMMERCE_PREFIX: every physical name starts with it."
  type        = string
}

variable "account_id" {
  description = "AWS account that owns the buckets (the condition of the upload queue's policy)."
  type        = string
}

variable "access_logging" {
  description = "Log the images bucket's requests to access_log_bucket (a plan-time switch)."
  type        = bool
  default     = false
}

variable "access_log_bucket" {
  description = "Bucket that receives the images bucket's server access logs (with access_logging)."
  type        = string
  default     = null
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to upload product images with presigned URLs."
  type        = list(string)
}

variable "deny_insecure_transport" {
  description = "The images bucket refuses plain HTTP (its policy). Off only on the emulators, which speak plain HTTP."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (prod)."
  type        = bool
}

variable "force_destroy" {
  description = "Let terraform destroy delete a non-empty images bucket (dev only)."
  type        = bool
  default     = false
}

variable "secret_recovery_window_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
