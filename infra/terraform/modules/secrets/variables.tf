variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX)."
  type        = string
}

variable "secrets" {
  description = "Logical secret name => description (app-resources)."
  type = map(object({
    description = string
  }))
}

variable "recovery_window_in_days" {
  description = "Days a deleted secret can still be restored (0 deletes at once, dev only)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
