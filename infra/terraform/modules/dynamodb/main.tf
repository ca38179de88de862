# One on-demand table per logical table, with point-in-time recovery and encryption at rest.

resource "aws_dynamodb_table" "table" {
  #checkov:skip=CKV_AWS_119:AWS managed key (aws/dynamodb) on purpose: a customer managed key would add kms:Decrypt/GenerateDataKey to every service role, outside the declared least-privilege actions (infra/iam/permissions.json).
  for_each                    = var.tables
  name                        = "${var.prefix}-${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = each.value.hash_key
    type = "S"
  }

  dynamic "attribute" {
    for_each = each.value.range_key == null ? [] : [each.value.range_key]
    content {
      name = attribute.value
      type = "S"
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  tags = var.tags
}
