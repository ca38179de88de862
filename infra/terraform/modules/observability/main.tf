# CloudWatch: a log group per deployable and one for lines Fluent Bit cannot place (it ships
# container stdout there; the EMF lines in it become metrics in the "Ecommerce" namespace), a
# dashboard, and alarms for a dead-letter queue that is not empty, the age of the oldest
# message, the 5xx rate and the p99 latency of every frontend, and a deployable whose
# heartbeat stops arriving (its pods, Fluent Bit or the metric extraction is down). X-Ray
# sampling rules. Metric names: docs/metrics.md.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  namespace = "Ecommerce"
  region    = var.region
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
}

resource "aws_cloudwatch_log_group" "deployable" {
  for_each          = toset(concat(var.deployables, [var.fallback_log_group]))
  name              = "/${var.prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# --- the alarm topic, encrypted with a key CloudWatch may use -------------------------------
# CloudWatch cannot publish to a topic under the AWS managed key (alias/aws/sns): its key
# policy admits no other service. This key's policy admits cloudwatch.amazonaws.com.

data "aws_iam_policy_document" "alarms_key" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource means this key only; the account-root statement is the AWS default that lets IAM policies grant use of the key.
  #checkov:skip=CKV_AWS_356:Same: in a key policy, "*" is the key itself.
  #checkov:skip=CKV_AWS_109:Same: the root statement only delegates to IAM; no other principal administers the key.
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "CloudWatchPublishesAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description             = "${var.prefix}: the alarm topic (CloudWatch publishes to it)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.alarms_key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.prefix}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.prefix}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
  tags              = var.tags
}

# Only this account's alarms may publish.
data "aws_iam_policy_document" "alarms_topic" {
  statement {
    sid       = "CloudWatchAlarms"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account}:alarm:${var.prefix}-*"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms_topic.json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.key
}

# --- queues ---------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  for_each            = var.dlq_names
  alarm_name          = "${var.prefix}-${each.key}-dlq-not-empty"
  alarm_description   = "Messages in ${each.value}: they failed ${each.key} ${var.max_receive_count} times. Inspect, fix, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  for_each            = var.queue_names
  alarm_name          = "${var.prefix}-${each.key}-oldest-message-age"
  alarm_description   = "The oldest message in ${each.value} waited over ${var.max_message_age_seconds} s: its worker is down, stuck or too slow."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = var.max_message_age_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# Emitted by the worker runtime (EMF): p99 time a handler took, per queue.
resource "aws_cloudwatch_metric_alarm" "handler_latency_p99" {
  for_each            = var.workers
  alarm_name          = "${var.prefix}-${each.key}-handler-latency-p99"
  alarm_description   = "p99 HandlerLatency of ${each.key} above ${var.handler_latency_p99_ms} ms."
  namespace           = local.namespace
  metric_name         = "HandlerLatency"
  dimensions          = { Service = each.key, Queue = each.value }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.handler_latency_p99_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# --- metrics that stop arriving --------------------------------------------------------------
# Every deployable writes a Heartbeat (EMF) once a minute whatever its traffic. None for five
# minutes means its pods are down, or Fluent Bit or CloudWatch's EMF extraction is: then the
# other alarms would stay silent, so this one fires (missing data breaches).
resource "aws_cloudwatch_metric_alarm" "heartbeat_missing" {
  for_each            = toset(var.heartbeat_services)
  alarm_name          = "${var.prefix}-${each.key}-metrics-missing"
  alarm_description   = "No Heartbeat from ${each.key} for 5 minutes: its pods, Fluent Bit or the EMF metrics are down, and the other alarms cannot see it."
  namespace           = local.namespace
  metric_name         = "Heartbeat"
  dimensions          = { Service = each.key }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 5
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# --- frontends ------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  for_each            = toset(var.frontends)
  alarm_name          = "${var.prefix}-${each.key}-5xx-rate"
  alarm_description   = "Over ${var.error_rate_percent}% of ${each.key}'s requests answered 5xx."
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.error_rate_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(total > 0, 100 * FILL(errors, 0) / total, 0)"
    label       = "5xx %"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = local.namespace
      metric_name = "Requests"
      dimensions  = { Service = each.key, StatusClass = "5xx" }
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "total"
    metric {
      namespace   = local.namespace
      metric_name = "Requests"
      dimensions  = { Service = each.key }
      stat        = "Sum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "http_latency_p99" {
  for_each            = toset(var.frontends)
  alarm_name          = "${var.prefix}-${each.key}-latency-p99"
  alarm_description   = "p99 latency of ${each.key} above ${var.latency_p99_ms} ms."
  namespace           = local.namespace
  metric_name         = "Latency"
  dimensions          = { Service = each.key }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = var.latency_p99_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

# --- dashboard ------------------------------------------------------------------------------

locals {
  frontend_widgets = flatten([
    for i, service in var.frontends : [
      {
        type = "metric", x = 0, y = i * 6, width = 12, height = 6
        properties = {
          title  = "${service}: requests by status class"
          region = local.region
          stat   = "Sum"
          period = 60
          metrics = [for class in ["2xx", "3xx", "4xx", "5xx"] :
            [local.namespace, "Requests", "Service", service, "StatusClass", class]
          ]
        }
      },
      {
        type = "metric", x = 12, y = i * 6, width = 12, height = 6
        properties = {
          title  = "${service}: latency (ms)"
          region = local.region
          period = 60
          metrics = [
            [local.namespace, "Latency", "Service", service, { stat = "p50" }],
            [local.namespace, "Latency", "Service", service, { stat = "p99" }],
          ]
        }
      },
    ]
  ])

  worker_top = length(var.frontends) * 6
  worker_widgets = flatten([
    for i, worker in keys(var.workers) : [
      {
        type = "metric", x = 0, y = local.worker_top + i * 6, width = 8, height = 6
        properties = {
          title  = "${worker}: messages"
          region = local.region
          stat   = "Sum"
          period = 60
          metrics = [for name in ["MessagesReceived", "MessagesSucceeded", "MessagesFailed", "MessagesRetried", "MessagesDeadLettered"] :
            [local.namespace, name, "Service", worker, "Queue", var.workers[worker]]
          ]
        }
      },
      {
        type = "metric", x = 8, y = local.worker_top + i * 6, width = 8, height = 6
        properties = {
          title  = "${worker}: handler latency and message age (ms)"
          region = local.region
          period = 60
          metrics = [
            [local.namespace, "HandlerLatency", "Service", worker, "Queue", var.workers[worker], { stat = "p99" }],
            [local.namespace, "MessageAge", "Service", worker, "Queue", var.workers[worker], { stat = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 16, y = local.worker_top + i * 6, width = 8, height = 6
        properties = {
          title  = "${worker}: queue depth and DLQ"
          region = local.region
          stat   = "Maximum"
          period = 60
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_names[var.workers[worker]]],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.queue_names[var.workers[worker]], { yAxis = "right" }],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.dlq_names[var.workers[worker]]],
          ]
        }
      },
    ]
  ])
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = var.prefix
  dashboard_body = jsonencode({ widgets = concat(local.frontend_widgets, local.worker_widgets) })
}

# --- X-Ray ----------------------------------------------------------------------------------

resource "aws_xray_sampling_rule" "health" {
  for_each       = toset(["/healthz", "/readyz"])
  rule_name      = "${substr(var.prefix, 0, 20)}-${trimprefix(each.key, "/")}"
  priority       = each.key == "/healthz" ? 10 : 11
  reservoir_size = 0
  fixed_rate     = 0
  url_path       = each.key
  host           = "*"
  http_method    = "*"
  service_name   = "*"
  service_type   = "*"
  resource_arn   = "*"
  version        = 1
  tags           = var.tags
}

resource "aws_xray_sampling_rule" "order_writes" {
  rule_name      = "${substr(var.prefix, 0, 20)}-orders"
  priority       = 100
  reservoir_size = 5
  fixed_rate     = var.order_write_sampling_rate
  url_path       = "/orders*"
  host           = "*"
  http_method    = "POST"
  service_name   = "*"
  service_type   = "*"
  resource_arn   = "*"
  version        = 1
  tags           = var.tags
}

resource "aws_xray_sampling_rule" "default" {
  rule_name      = "${substr(var.prefix, 0, 20)}-default"
  priority       = 9000
  reservoir_size = 1
  fixed_rate     = var.default_sampling_rate
  url_path       = "*"
  host           = "*"
  http_method    = "*"
  service_name   = "*"
  service_type   = "*"
  resource_arn   = "*"
  version        = 1
  tags           = var.tags
}
