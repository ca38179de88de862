# The application's resources (modules/application) on an AWS emulator: the embedded moto
# server of `ecommerce dev`, or LocalStack (SQS, SNS, S3, Secrets Manager) with DynamoDB on
# moto. `make test-terraform` (scripts/test-terraform.sh) applies this, runs the order saga and
# an image upload against what it made with the stack's own provisioning off, destroys it and
# checks that nothing is left. Never point it at AWS: the credentials are the emulators'.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
  # Local state, in the file the script names at init (-backend-config=path=...).
  backend "local" {}
}

provider "aws" {
  region     = var.region
  access_key = "testing"
  secret_key = "testing"

  # An emulator has no STS, EC2 metadata or account to check.
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  skip_region_validation      = true
  # Bucket names in the path (http://endpoint/bucket), not as a host name.
  s3_use_path_style = true

  endpoints {
    dynamodb       = var.endpoints.dynamodb
    s3             = var.endpoints.s3
    secretsmanager = var.endpoints.secretsmanager
    sns            = var.endpoints.sns
    sqs            = var.endpoints.sqs
  }
}

module "application" {
  source               = "../modules/application"
  prefix               = var.prefix
  account_id           = var.account_id
  cors_allowed_origins = ["http://127.0.0.1"]
  # The emulators answer plain HTTP, and moto enforces the bucket's "HTTPS only" policy: that
  # one statement stays out here (it is on in every environment).
  deny_insecure_transport     = false
  deletion_protection         = false
  force_destroy               = true
  secret_recovery_window_days = 0
  tags                        = { Project = "ecommerce", Environment = "emulator" }
}
