# One on-demand table per logical table, with its global secondary indexes, its TTL attribute
# if it has one, point-in-time recovery and encryption at rest.

resource "aws_dynamodb_table" "table" {
  #checkov:skip=CKV_AWS_119:AWS managed key (aws/dynamodb) on purpose: a customer managed key would add kms:Decrypt/GenerateDataKey to every service role, outside the declared least-privilege actions (infra/iam/permissions.json).
  for_each                    = var.tables
  name                        = "${var.prefix}-${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  deletion_protection_enabled = var.deletion_protection

  # Every key attribute of the table and its indexes, once; all strings.
  dynamic "attribute" {
    for_each = toset(compact(concat(
      [each.value.hash_key, each.value.range_key],
      flatten([for index in each.value.gsis : [index.hash_key, index.range_key]]),
    )))
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.gsis
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = "ALL"
    }
  }

  dynamic "ttl" {
    for_each = compact([each.value.ttl_attribute])
    content {
      attribute_name = ttl.value
      enabled        = true
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
