variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX)."
  type        = string
}

variable "account_id" {
  description = "AWS account that owns the buckets notifying the queues."
  type        = string
}

variable "topic" {
  description = "Logical name of the domain-events topic (app-resources)."
  type        = string
}

variable "queues" {
  description = "Logical queue name => event types, visibility timeout, max receive count (app-resources)."
  type = map(object({
    event_types        = list(string)
    visibility_timeout = number
    max_receive_count  = number
  }))
}

variable "bucket_notifications" {
  description = "Logical bucket name => the queue its uploads notify, the key prefix and the events (app-resources)."
  type = map(object({
    queue         = string
    filter_prefix = string
    events        = list(string)
  }))
}

variable "bucket_ids" {
  description = "Logical bucket name => bucket name."
  type        = map(string)
}

variable "bucket_arns" {
  description = "Logical bucket name => bucket ARN."
  type        = map(string)
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
