output "bucket_ids" {
  description = "Logical bucket name => bucket name."
  value       = { for name, bucket in aws_s3_bucket.bucket : name => bucket.id }
}

output "bucket_arns" {
  description = "Logical bucket name => bucket ARN."
  value       = { for name, bucket in aws_s3_bucket.bucket : name => bucket.arn }
}
