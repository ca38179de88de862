# The domain-events SNS topic, one SQS queue (+ DLQ) per consuming worker, and the topic
# subscriptions with raw message delivery and a filter policy on the `event_type` attribute.
# Queues with no event types are not subscribed; bucket_notifications feed them from S3.

locals {
  # Queues the topic feeds: those with at least one event type.
  fed_queues = { for name, queue in var.queues : name => queue if length(queue.event_types) > 0 }
}

resource "aws_sns_topic" "events" {
  name              = "${var.prefix}-${var.topic}"
  kms_master_key_id = "alias/aws/sns"
  tags              = var.tags
}

resource "aws_sqs_queue" "dlq" {
  for_each                  = var.queues
  name                      = "${var.prefix}-${each.key}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "queue" {
  for_each                   = var.queues
  name                       = "${var.prefix}-${each.key}"
  visibility_timeout_seconds = each.value.visibility_timeout
  message_retention_seconds  = 345600
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = each.value.max_receive_count
  })
  tags = var.tags
}

# Only a DLQ's own queue may redrive into it.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each  = var.queues
  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.queue[each.key].arn]
  })
}

resource "aws_sns_topic_subscription" "queue" {
  for_each             = local.fed_queues
  topic_arn            = aws_sns_topic.events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.queue[each.key].arn
  raw_message_delivery = true
  filter_policy_scope  = "MessageAttributes"
  filter_policy        = jsonencode({ event_type = each.value.event_types })
}

# Who may send to each queue: the topic for the queues it feeds, a bucket for the others.
data "aws_iam_policy_document" "queue" {
  for_each = var.queues

  dynamic "statement" {
    for_each = contains(keys(local.fed_queues), each.key) ? [1] : []
    content {
      sid       = "FromDomainEventsTopic"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.queue[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [aws_sns_topic.events.arn]
      }
    }
  }

  dynamic "statement" {
    for_each = [for bucket, feed in var.bucket_notifications : bucket if feed.queue == each.key]
    content {
      sid       = "FromBucketNotifications"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.queue[each.key].arn]
      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = [var.bucket_arns[statement.value]]
      }
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [var.account_id]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.queue[each.key].arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "queue" {
  for_each  = var.queues
  queue_url = aws_sqs_queue.queue[each.key].id
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# Uploads under the prefix notify their queue; the queue policy must exist first.
resource "aws_s3_bucket_notification" "uploads" {
  for_each = var.bucket_notifications
  bucket   = var.bucket_ids[each.key]

  queue {
    queue_arn     = aws_sqs_queue.queue[each.value.queue].arn
    events        = each.value.events
    filter_prefix = each.value.filter_prefix
  }

  depends_on = [aws_sqs_queue_policy.queue]
}
