variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX)."
  type        = string
}

variable "tables" {
  description = "Logical table name => key schema, global secondary indexes and TTL attribute (app-resources)."
  type = map(object({
    hash_key  = string
    range_key = optional(string)
    gsis = optional(list(object({
      name      = string
      hash_key  = string
      range_key = optional(string)
    })), [])
    ttl_attribute = optional(string)
  }))
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (prod)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
