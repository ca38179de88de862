output "topic_arn" {
  description = "ARN of the domain-events topic (ECOMMERCE_TOPIC_ARN)."
  value       = aws_sns_topic.events.arn
}

output "topic_name" {
  description = "Name of the domain-events topic."
  value       = aws_sns_topic.events.name
}

output "queue_arns" {
  description = "Logical queue name => queue ARN."
  value       = { for name, queue in aws_sqs_queue.queue : name => queue.arn }
}

output "dlq_arns" {
  description = "Logical queue name => ARN of its dead-letter queue."
  value       = { for name, queue in aws_sqs_queue.dlq : name => queue.arn }
}

output "queue_urls" {
  description = "Logical queue name => queue URL."
  value       = { for name, queue in aws_sqs_queue.queue : name => queue.url }
}

output "queue_names" {
  description = "Logical queue name => physical queue name."
  value       = { for name, queue in aws_sqs_queue.queue : name => queue.name }
}

output "dlq_names" {
  description = "Logical queue name => physical name of its dead-letter queue."
  value       = { for name, queue in aws_sqs_queue.dlq : name => queue.name }
}

output "redrive_policies" {
  description = "Logical queue name => its redrive policy (deadLetterTargetArn, maxReceiveCount)."
  value       = { for name, queue in aws_sqs_queue.queue : name => jsondecode(queue.redrive_policy) }
}

output "filter_policies" {
  description = "Logical queue name => the filter policy of its topic subscription (queues the topic feeds)."
  value = {
    for name, subscription in aws_sns_topic_subscription.queue : name => {
      policy               = jsondecode(subscription.filter_policy)
      scope                = subscription.filter_policy_scope
      raw_message_delivery = subscription.raw_message_delivery
    }
  }
}
