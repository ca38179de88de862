# `terraform test` of the whole prod environment with a mocked aws provider (offline; the
# mocks are in ../../tests/mocks): a plan, then an apply, then assertions on what matters.
# The plan run alone catches what breaks a first plan on a real account (an unknown for_each,
# a wrong module output, a type error); the apply run checks the resources as wired.
# Run by scripts/check-infra.sh (`terraform test` in this folder).

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  region               = "eu-west-1"
  prefix               = "acme-shop-prod"
  admin_cidrs          = ["203.0.113.10/32"]
  alarm_emails         = ["oncall@example.com"]
  public_host          = "api.example.com"
  certificate_arn      = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
  cors_allowed_origins = ["https://shop.example.com"]
  payment_gateway_url  = "https://payments.example.com"
  repository           = "acme/ecommerce"
  branch               = "main"
}

run "plan" {
  command = plan

  assert {
    condition     = module.stack.prefix == "acme-shop-prod"
    error_message = "The plan did not go through the stack module."
  }
}

run "apply" {
  # One queue and one DLQ per consuming worker, each queue redriving into its own DLQ after
  # the declared number of receives.
  assert {
    condition     = sort(keys(module.stack.checks.redrive_policies)) == sort(keys(module.stack.checks.declared.queues))
    error_message = "Not exactly one queue per declared queue."
  }
  assert {
    condition = alltrue([
      for name, queue in module.stack.checks.declared.queues :
      module.stack.checks.redrive_policies[name].deadLetterTargetArn == module.stack.checks.dlq_arns[name]
      && module.stack.checks.redrive_policies[name].maxReceiveCount == queue.max_receive_count
    ])
    error_message = "A queue does not redrive into its own DLQ after max_receive_count receives."
  }

  # Raw delivery with the declared event types as the filter policy, for exactly the queues
  # the topic feeds (app-resources equals resources.py: tests/infra/test_infra_resources.py).
  assert {
    condition = sort(keys(module.stack.checks.filter_policies)) == sort([
      for name, queue in module.stack.checks.declared.queues : name if length(queue.event_types) > 0
    ])
    error_message = "The subscribed queues are not the queues with event types."
  }
  assert {
    condition = alltrue([
      for name, subscription in module.stack.checks.filter_policies :
      subscription.policy == { event_type = module.stack.checks.declared.queues[name].event_types }
      && subscription.scope == "MessageAttributes" && subscription.raw_message_delivery
    ])
    error_message = "A subscription's filter policy differs from the queue's event types, or its delivery is not raw."
  }

  # IRSA: each role trusts the cluster's OIDC provider, its own service account, and STS.
  assert {
    condition = alltrue([
      for name, deployable in jsondecode(file("../../../iam/permissions.json")).deployables :
      module.stack.checks.trust[name].sub == "system:serviceaccount:${deployable.namespace}:${deployable.service_account}"
      && module.stack.checks.trust[name].aud == "sts.amazonaws.com"
      && module.stack.checks.trust[name].provider == module.stack.checks.oidc_provider_arn
    ])
    error_message = "An IRSA role trusts another service account, audience or provider."
  }

  # Alarms read our metric names (docs/metrics.md) or SQS's, and notify the alarm topic.
  assert {
    condition = alltrue([
      for alarm in values(module.stack.checks.alarms) :
      (alarm.namespace == "Ecommerce" ? contains(["Heartbeat", "HandlerLatency", "Requests", "Latency"], alarm.metric) : alarm.namespace == "AWS/SQS")
      && alarm.actions == toset([module.stack.checks.alarm_topic_arn])
    ])
    error_message = "An alarm reads a metric no service writes, or notifies elsewhere."
  }
  assert {
    condition = alltrue([
      for name, deployable in jsondecode(file("../../../iam/permissions.json")).deployables :
      lookup(
        module.stack.checks.alarms,
        "acme-shop-prod-${deployable.kind == "handler" ? trimprefix(deployable.module, "handlers.") : name}-metrics-missing",
        { treat_missing_data = "none" }
      ).treat_missing_data == "breaching"
      if contains(["handler", "worker"], deployable.kind)
    ])
    error_message = "A handler or worker has no alarm for its heartbeat going missing."
  }
  assert {
    condition     = module.stack.checks.alarm_topic_key_arn == module.stack.checks.alarms_key_arn
    error_message = "The alarm topic must use the key made for it (CloudWatch cannot use the AWS managed SNS key)."
  }

  # Fluent Bit's targets: a log group per workload of the namespace and the fallback one.
  assert {
    condition = alltrue([
      for name in ["users-api", "orders-api", "orders-worker", "outbox-relay", "xray-daemon", "orders-migrate", "unlabelled"] :
      contains(keys(module.stack.checks.log_groups), name)
    ])
    error_message = "A workload of the application namespace, or the fallback, has no log group."
  }

  # The deploy builds reach the private Kubernetes API.
  assert {
    condition = (
      module.stack.checks.cluster_api_access.security_group_id == module.stack.checks.cluster_security_group_id
      && module.stack.checks.cluster_api_access.referenced_security_group_id == module.stack.checks.deploy_security_group_id
      && module.stack.checks.cluster_api_access.port == 443
    )
    error_message = "The cluster security group does not admit HTTPS from the deploy builds."
  }

  assert {
    condition     = module.stack.checks.node_group_version == module.stack.checks.cluster_version
    error_message = "The nodes do not follow the control plane's version."
  }
  assert {
    condition     = module.stack.checks.redis_auth_update_strategy == "ROTATE"
    error_message = "auth_token needs auth_token_update_strategy (required from provider 6.0)."
  }
  assert {
    condition     = module.stack.checks.database_multi_az == true && module.stack.checks.database_iam_auth
    error_message = "The database's Multi-AZ or IAM authentication is not as this environment wants."
  }
  assert {
    condition     = sort(keys(module.stack.checks.interface_endpoints)) == sort(["sqs", "sns", "sts", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "xray"])
    error_message = "The interface VPC endpoints are not this environment's."
  }

  # API Gateway: the JWT authorizer trusts the users service as issued on the public host.
  assert {
    condition = (
      module.stack.checks.api_authorizer.issuer == "https://api.example.com"
      && module.stack.checks.api_authorizer.audience == toset(["ecommerce"])
      && module.stack.checks.api_routes["ANY /orders"] == "JWT"
      && module.stack.checks.api_routes["POST /auth/login"] == "NONE"
    )
    error_message = "The JWT authorizer or the routes' authorization differ from api-routes."
  }
  assert {
    condition     = strcontains(module.stack.k8s_app_env, "TOKEN_ISSUER=https://api.example.com\n")
    error_message = "The services do not sign and check tokens as issued by the public host."
  }
}
