# `terraform test` of the whole dev environment with a mocked aws provider (offline; the
# mocks are in ../../tests/mocks): a plan, then an apply, then the assertions of
# ../../tests/stack-checks on what the apply made. The plan run alone catches what breaks a
# first plan on a real account (an unknown for_each, a wrong module output, a type error).
# Run by scripts/check-infra.sh (`terraform test` in this folder).

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  region               = "eu-west-1"
  prefix               = "acme-shop-dev"
  admin_cidrs          = ["203.0.113.10/32"]
  alarm_emails         = ["oncall@example.com"]
  public_host          = "api.dev.example.com"
  certificate_arn      = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
  cors_allowed_origins = ["https://shop.example.com"]
  payment_gateway_url  = "https://payments.example.com"
  repository           = "acme/ecommerce"
  branch               = "main"
}

run "plan" {
  command = plan

  assert {
    condition     = module.stack.prefix == "acme-shop-dev"
    error_message = "The plan did not go through the stack module."
  }
}

run "apply" {}

run "checks" {
  module {
    source = "../../tests/stack-checks"
  }

  variables {
    checks              = run.apply.stack.checks
    k8s_app_env         = run.apply.k8s_app_env
    prefix              = "acme-shop-dev"
    public_host         = "api.dev.example.com"
    multi_az            = false
    interface_endpoints = []
  }
}
