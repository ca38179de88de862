variable "prefix" {
  description = "Physical name prefix (ECOMMERCE_PREFIX); log groups are \"/<prefix>/<deployable>\"."
  type        = string
}

variable "region" {
  description = "AWS region (the dashboard's widgets, the alarm topic's policy)."
  type        = string
}

variable "deployables" {
  description = "Every app.kubernetes.io/name of the application namespace: each gets the log group \"/<prefix>/<name>\"."
  type        = list(string)
}

variable "fallback_log_group" {
  description = "Log group (under /<prefix>/) for lines whose pod has no app.kubernetes.io/name: Fluent Bit's logGroupName."
  type        = string
  default     = "unlabelled"
}

variable "heartbeat_services" {
  description = "Service dimension of every deployable that writes a Heartbeat metric (handlers and workers)."
  type        = list(string)
}

variable "frontends" {
  description = "The HTTP services: their Service dimension in the Ecommerce namespace."
  type        = list(string)
}

variable "workers" {
  description = "Queue-consuming worker (its Service dimension) => the logical queue it consumes (its Queue dimension)."
  type        = map(string)
}

variable "queue_names" {
  description = "Logical queue name => physical queue name."
  type        = map(string)
}

variable "dlq_names" {
  description = "Logical queue name => physical dead-letter queue name."
  type        = map(string)
}

variable "max_receive_count" {
  description = "Receives before a message goes to its DLQ (for the alarm text)."
  type        = number
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each confirms by mail)."
  type        = list(string)
  default     = []
}

variable "max_message_age_seconds" {
  description = "Alarm when a queue's oldest message is older than this."
  type        = number
  default     = 300
}

variable "handler_latency_p99_ms" {
  description = "Alarm when a worker's p99 handler latency exceeds this."
  type        = number
  default     = 10000
}

variable "error_rate_percent" {
  description = "Alarm when a frontend answers more than this share of 5xx."
  type        = number
  default     = 2
}

variable "latency_p99_ms" {
  description = "Alarm when a frontend's p99 latency exceeds this."
  type        = number
  default     = 1000
}

variable "default_sampling_rate" {
  description = "X-Ray: share of requests traced beyond the reservoir of one a second."
  type        = number
  default     = 0.05
}

variable "order_write_sampling_rate" {
  description = "X-Ray: share of POST /orders* traced beyond the reservoir."
  type        = number
  default     = 0.5
}

variable "log_retention_days" {
  description = "Days to keep application logs."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "Key that encrypts the log groups."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
