variable "prefix" {
  description = "ECOMMERCE_PREFIX of the resources (unique per run)."
  type        = string
}

variable "region" {
  description = "Region the emulator answers for."
  type        = string
  default     = "us-east-1"
}

variable "account_id" {
  description = "The emulator's account: moto 123456789012, LocalStack 000000000000."
  type        = string
}

variable "endpoints" {
  description = "Endpoint URL per AWS service (dynamodb, s3, secretsmanager, sns, sqs)."
  type = object({
    dynamodb       = string
    s3             = string
    secretsmanager = string
    sns            = string
    sqs            = string
  })
}
