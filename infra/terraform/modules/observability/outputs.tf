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
