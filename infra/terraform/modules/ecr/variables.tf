variable "prefix" {
  description = "Repository name prefix; repositories are \"<prefix>/<image>\"."
  type        = string
}

variable "images" {
  description = "Image names, one repository each."
  type        = list(string)
  default     = ["app"]
}

variable "kms_key_arn" {
  description = "Key that encrypts the images."
  type        = string
}

variable "keep_images" {
  description = "Images kept per repository."
  type        = number
  default     = 200
}

variable "force_delete" {
  description = "Let terraform destroy delete repositories that still hold images (dev only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
