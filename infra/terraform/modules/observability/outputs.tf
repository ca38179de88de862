output "log_group_names" {
  description = "Deployable => log group name."
  value       = { for name, group in aws_cloudwatch_log_group.deployable : name => group.name }
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}

output "alarms" {
  description = "Alarm name => the metric it watches (namespace, name; the 5xx rate reads Requests), its missing-data rule and where it notifies."
  value = merge(
    {
      for alarm in concat(
        values(aws_cloudwatch_metric_alarm.dlq_not_empty),
        values(aws_cloudwatch_metric_alarm.oldest_message_age),
        values(aws_cloudwatch_metric_alarm.handler_latency_p99),
        values(aws_cloudwatch_metric_alarm.http_latency_p99),
        values(aws_cloudwatch_metric_alarm.heartbeat_missing),
        ) : alarm.alarm_name => {
        namespace          = alarm.namespace
        metric             = alarm.metric_name
        treat_missing_data = alarm.treat_missing_data
        actions            = alarm.alarm_actions
      }
    },
    {
      for alarm in values(aws_cloudwatch_metric_alarm.http_5xx_rate) : alarm.alarm_name => {
        namespace          = local.namespace
        metric             = "Requests"
        treat_missing_data = alarm.treat_missing_data
        actions            = alarm.alarm_actions
      }
    },
  )
}

output "alarm_topic_key_arn" {
  description = "The customer managed key of the alarm topic (CloudWatch may use it)."
  value       = aws_sns_topic.alarms.kms_master_key_id
}

output "alarms_key_arn" {
  description = "ARN of the key made for the alarm topic."
  value       = aws_kms_key.alarms.arn
}
