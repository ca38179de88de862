# The assertions of the environments' `terraform test` runs (environments/*/tests/*.tftest.hcl),
# written once: a run of this module takes what the stack applied (its `checks` output) and
# fails on the first precondition that does not hold. It makes no resource.

terraform {
  required_version = ">= 1.10"
}

variable "checks" {
  description = "module.stack's checks output, from the environment's apply run."
  type        = any
}

variable "k8s_app_env" {
  description = "module.stack's k8s_app_env output."
  type        = string
}

variable "prefix" {
  description = "The environment's prefix."
  type        = string
}

variable "public_host" {
  description = "The environment's public host."
  type        = string
}

variable "multi_az" {
  description = "Whether this environment's database has a standby."
  type        = bool
}

variable "interface_endpoints" {
  description = "The interface VPC endpoints this environment must have."
  type        = list(string)
}

locals {
  c           = var.checks
  deployables = jsondecode(file("${path.module}/../../../iam/permissions.json")).deployables
  queues      = local.c.declared.queues
  fed         = sort([for name, queue in local.queues : name if length(queue.event_types) > 0])
  our_metrics = ["Heartbeat", "HandlerLatency", "Requests", "Latency"]
  # The Service dimension of a handler's metrics is its service (handlers.users => users).
  heartbeat_services = [
    for name, d in local.deployables : d.kind == "handler" ? trimprefix(d.module, "handlers.") : name
    if contains(["handler", "worker"], d.kind)
  ]
}

output "queues" {
  description = "One queue and one DLQ per consuming worker, each redriving into its own DLQ."
  value       = sort(keys(local.c.redrive_policies))
  precondition {
    condition     = sort(keys(local.c.redrive_policies)) == sort(keys(local.queues))
    error_message = "Not exactly one queue per declared queue."
  }
  precondition {
    condition = alltrue([
      for name, queue in local.queues :
      local.c.redrive_policies[name].deadLetterTargetArn == local.c.dlq_arns[name]
      && local.c.redrive_policies[name].maxReceiveCount == queue.max_receive_count
    ])
    error_message = "A queue does not redrive into its own DLQ after max_receive_count receives."
  }
}

output "subscriptions" {
  description = "Raw delivery, filtered on event_type by the declared event types (app-resources = resources.py: tests/infra)."
  value       = sort(keys(local.c.filter_policies))
  precondition {
    condition     = sort(keys(local.c.filter_policies)) == local.fed
    error_message = "The subscribed queues are not the queues with event types."
  }
  precondition {
    condition = alltrue([
      for name, subscription in local.c.filter_policies :
      jsonencode(subscription.policy) == jsonencode({ event_type = local.queues[name].event_types })
      && subscription.scope == "MessageAttributes" && subscription.raw_message_delivery
    ])
    error_message = "A filter policy differs from its queue's event types, or a delivery is not raw."
  }
}

output "irsa" {
  description = "Each role trusts the cluster's OIDC provider, its own service account, and STS."
  value       = sort(keys(local.c.trust))
  precondition {
    condition = alltrue([
      for name, d in local.deployables :
      local.c.trust[name].sub == "system:serviceaccount:${d.namespace}:${d.service_account}"
      && local.c.trust[name].aud == "sts.amazonaws.com"
      && local.c.trust[name].provider == local.c.oidc_provider_arn
    ])
    error_message = "An IRSA role trusts another service account, audience or provider."
  }
}

output "alarms" {
  description = "Alarms read our metric names (docs/metrics.md) or SQS's, notify the alarm topic, and see missing heartbeats."
  value       = length(local.c.alarms)
  precondition {
    condition = alltrue([
      for alarm in values(local.c.alarms) :
      (alarm.namespace == "Ecommerce" ? contains(local.our_metrics, alarm.metric) : alarm.namespace == "AWS/SQS")
      && length(alarm.actions) == 1 && contains(tolist(alarm.actions), local.c.alarm_topic_arn)
    ])
    error_message = "An alarm reads a metric no service writes, or notifies elsewhere."
  }
  precondition {
    condition = alltrue([
      for service in local.heartbeat_services :
      try(local.c.alarms["${var.prefix}-${service}-metrics-missing"].treat_missing_data, "none") == "breaching"
    ])
    error_message = "A handler or worker has no alarm for its heartbeat going missing."
  }
  precondition {
    condition     = local.c.alarm_topic_key_arn == local.c.alarms_key_arn
    error_message = "The alarm topic must use the key made for it (CloudWatch cannot use the AWS managed SNS key)."
  }
}

output "log_groups" {
  description = "Fluent Bit's targets: a log group per workload of the namespace, and the fallback."
  value       = sort(keys(local.c.log_groups))
  precondition {
    condition = alltrue([
      for name in concat(
        [for name, d in local.deployables : name if d.namespace == "ecommerce"],
        ["orders-migrate", "unlabelled"],
      ) : contains(keys(local.c.log_groups), name)
    ])
    error_message = "A workload of the application namespace, or the fallback, has no log group."
  }
}

output "platform" {
  description = "The deploy builds reach the API; nodes follow the control plane; Redis, the database, the endpoints."
  value       = local.c.cluster_version
  precondition {
    condition = (
      local.c.cluster_api_access.security_group_id == local.c.cluster_security_group_id
      && local.c.cluster_api_access.referenced_security_group_id == local.c.deploy_security_group_id
      && local.c.cluster_api_access.port == 443
    )
    error_message = "The cluster security group does not admit HTTPS from the deploy builds."
  }
  precondition {
    condition     = local.c.node_group_version == local.c.cluster_version
    error_message = "The nodes do not follow the control plane's version."
  }
  precondition {
    condition     = local.c.redis_auth_update_strategy == "ROTATE"
    error_message = "auth_token needs auth_token_update_strategy (required from provider 6.0)."
  }
  precondition {
    condition     = local.c.database_multi_az == var.multi_az && local.c.database_iam_auth
    error_message = "The database's Multi-AZ or IAM authentication is not as this environment wants."
  }
  precondition {
    condition     = sort(keys(local.c.interface_endpoints)) == sort(var.interface_endpoints)
    error_message = "The interface VPC endpoints are not this environment's."
  }
}

output "edge" {
  description = "API Gateway's JWT authorizer trusts the users service as issued on the public host."
  value       = local.c.api_authorizer.issuer
  precondition {
    condition = (
      local.c.api_authorizer.issuer == "https://${var.public_host}"
      && length(local.c.api_authorizer.audience) == 1
      && contains(tolist(local.c.api_authorizer.audience), "ecommerce")
      && local.c.api_routes["ANY /orders"] == "JWT"
      && local.c.api_routes["POST /auth/login"] == "NONE"
    )
    error_message = "The JWT authorizer or the routes' authorization differ from api-routes."
  }
  precondition {
    condition     = strcontains(var.k8s_app_env, "TOKEN_ISSUER=https://${var.public_host}\n")
    error_message = "The services do not sign and check tokens as issued by the public host."
  }
}
