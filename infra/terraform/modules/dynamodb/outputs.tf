output "table_arns" {
  description = "Logical table name => table ARN."
  value       = { for name, table in aws_dynamodb_table.table : name => table.arn }
}

output "table_names" {
  description = "Logical table name => physical table name."
  value       = { for name, table in aws_dynamodb_table.table : name => table.name }
}
