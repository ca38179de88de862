# One IAM policy per deployable: exactly the actions and resources it declares in
# infra/iam/permissions.json, no more (tests/infra/test_infra_least_privilege.py compares the
# two). Each data source is named after its deployable, with "_" for "-".
# DynamoDB transactions have no IAM action of their own: TransactWriteItems is authorized by
# the PutItem/UpdateItem/... of the items inside it.

data "aws_iam_policy_document" "users_api" {
  statement {
    sid       = "UsersTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]
    resources = [var.table_arns["users"]]
  }
  statement {
    sid       = "TokenKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["jwt-signing-keys"], var.secret_arns["jwt-public-keys"]]
  }
}

data "aws_iam_policy_document" "catalog_api" {
  statement {
    sid       = "ProductsTable"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [var.table_arns["products"]]
  }
  statement {
    sid       = "ProductsByCategory"
    actions   = ["dynamodb:Query"]
    resources = ["${var.table_arns["products"]}/index/by-category"]
  }
  statement {
    sid       = "PresignImageUploadsAndReads"
    actions   = ["s3:PutObject", "s3:GetObject"]
    resources = ["${var.bucket_arns["product-images"]}/*"]
  }
  statement {
    sid       = "PublishProductChanges"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }
  statement {
    sid       = "TokenPublicKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["jwt-public-keys"]]
  }
}

data "aws_iam_policy_document" "cart_api" {
  statement {
    sid       = "TokenPublicKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["jwt-public-keys"]]
  }
}

data "aws_iam_policy_document" "orders_api" {
  statement {
    sid       = "TokenPublicKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["jwt-public-keys"]]
  }
  statement {
    sid       = "OrdersDatabase"
    actions   = ["rds-db:connect"]
    resources = [var.database_user_arn]
  }
}

# The web frontend's console: queue depths of every queue and its DLQ, a look at dead letters
# (received and handed back), and their redrive (a move task, or by hand: send to the queue,
# delete from the DLQ); the audit reads the orders database, the stock and the payments.
# Presigned uploads are the catalog's; it needs no S3 grant of its own.
data "aws_iam_policy_document" "web_api" {
  statement {
    sid       = "TokenPublicKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["jwt-public-keys"]]
  }
  statement {
    sid       = "QueueDepthsAndRedriveTarget"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SendMessage"]
    resources = [var.queue_arns["inventory"], var.queue_arns["orders"], var.queue_arns["payments"], var.queue_arns["images"], var.queue_arns["payment-webhooks"]]
  }
  statement {
    sid       = "DeadLettersAndRedrive"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks"]
    resources = [var.dlq_arns["inventory"], var.dlq_arns["orders"], var.dlq_arns["payments"], var.dlq_arns["images"], var.dlq_arns["payment-webhooks"]]
  }
  statement {
    sid       = "AuditReadsStockAndPayments"
    actions   = ["dynamodb:Scan"]
    resources = [var.table_arns["products"], var.table_arns["payments"]]
  }
  statement {
    sid       = "AuditReadsOrders"
    actions   = ["rds-db:connect"]
    resources = [var.database_user_arn]
  }
}

data "aws_iam_policy_document" "inventory_worker" {
  statement {
    sid       = "ConsumeInventoryQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["inventory"]]
  }
  statement {
    sid       = "DeadLetterInventory"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [var.dlq_arns["inventory"]]
  }
  statement {
    sid       = "PublishOutcomes"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }
  statement {
    sid = "ReserveStock"
    # Scan and DeleteItem: the sweep of expired reservations, where the table has no TTL (the
    # local emulator; RESERVATION_SWEEP_SECONDS, off on AWS).
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Scan", "dynamodb:DeleteItem"]
    resources = [var.table_arns["products"]]
  }
}

data "aws_iam_policy_document" "orders_worker" {
  statement {
    sid       = "ConsumeOrdersQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["orders"]]
  }
  statement {
    sid       = "DeadLetterOrders"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [var.dlq_arns["orders"]]
  }
  statement {
    sid       = "OrdersDatabase"
    actions   = ["rds-db:connect"]
    resources = [var.database_user_arn]
  }
}

data "aws_iam_policy_document" "payments_worker" {
  statement {
    sid       = "ConsumePaymentsQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["payments"]]
  }
  statement {
    sid       = "DeadLetterPayments"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [var.dlq_arns["payments"]]
  }
  statement {
    sid       = "PublishOutcomes"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }
  statement {
    sid       = "PaymentsLedger"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [var.table_arns["payments"]]
  }
  statement {
    sid       = "PaymentGatewayKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["payment-gateway-key"]]
  }
  statement {
    sid       = "ConsumePaymentWebhooksQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["payment-webhooks"]]
  }
  statement {
    sid       = "DeadLetterPaymentWebhooks"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [var.dlq_arns["payment-webhooks"]]
  }
}

data "aws_iam_policy_document" "webhooks_api" {
  statement {
    sid       = "QueueVerifiedWebhooks"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["payment-webhooks"]]
  }
  statement {
    sid       = "WebhookSigningSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["payment-webhook-secrets"]]
  }
}

data "aws_iam_policy_document" "images_worker" {
  statement {
    sid       = "ConsumeImagesQueue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["images"]]
  }
  statement {
    sid       = "DeadLetterImages"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [var.dlq_arns["images"]]
  }
  statement {
    sid       = "ReadUploadsWriteThumbnails"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${var.bucket_arns["product-images"]}/*"]
  }
  statement {
    sid       = "RecordImages"
    actions   = ["dynamodb:UpdateItem"]
    resources = [var.table_arns["products"]]
  }
}

data "aws_iam_policy_document" "outbox_relay" {
  statement {
    sid       = "PublishDomainEvents"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }
  statement {
    sid       = "OrdersDatabase"
    actions   = ["rds-db:connect"]
    resources = [var.database_user_arn]
  }
}

data "aws_iam_policy_document" "auditor" {
  statement {
    sid       = "ScanStores"
    actions   = ["dynamodb:Scan"]
    resources = [var.table_arns["products"], var.table_arns["payments"]]
  }
  statement {
    sid       = "ReadQueueDepths"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
    resources = [var.queue_arns["inventory"], var.queue_arns["orders"], var.queue_arns["payments"], var.queue_arns["images"], var.queue_arns["payment-webhooks"]]
  }
  statement {
    sid       = "PeekDeadLetters"
    actions   = ["sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility"]
    resources = [var.dlq_arns["inventory"], var.dlq_arns["orders"], var.dlq_arns["payments"], var.dlq_arns["images"], var.dlq_arns["payment-webhooks"]]
  }
  statement {
    sid       = "ProcessorKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.secret_arns["payment-gateway-key"]]
  }
  statement {
    sid       = "OrdersDatabase"
    actions   = ["rds-db:connect"]
    resources = [var.database_user_arn]
  }
}

data "aws_iam_policy_document" "keda_operator" {
  statement {
    sid       = "ReadWorkerQueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = [var.queue_arns["inventory"], var.queue_arns["orders"], var.queue_arns["payments"], var.queue_arns["images"], var.queue_arns["payment-webhooks"]]
  }
}

data "aws_iam_policy_document" "xray_daemon" {
  #checkov:skip=CKV_AWS_356:X-Ray's PutTraceSegments, PutTelemetryRecords and sampling actions support no resource-level permissions; "*" is the only valid resource.
  #checkov:skip=CKV_AWS_111:X-Ray's write actions support no resource-level permissions or condition keys to narrow them.
  statement {
    sid       = "RelayTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "adot_collector" {
  #checkov:skip=CKV_AWS_356:X-Ray's PutTraceSegments, PutTelemetryRecords and sampling actions support no resource-level permissions; "*" is the only valid resource.
  #checkov:skip=CKV_AWS_111:X-Ray's write actions support no resource-level permissions or condition keys to narrow them.
  statement {
    sid       = "ExportTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "fluent_bit" {
  statement {
    sid       = "ShipApplicationLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${var.application_log_group_arn_prefix}*"]
  }
}

locals {
  # Deployable => its policy; the keys are the deployables of infra/iam/permissions.json.
  policies = {
    "users-api"        = data.aws_iam_policy_document.users_api.json
    "catalog-api"      = data.aws_iam_policy_document.catalog_api.json
    "cart-api"         = data.aws_iam_policy_document.cart_api.json
    "orders-api"       = data.aws_iam_policy_document.orders_api.json
    "web-api"          = data.aws_iam_policy_document.web_api.json
    "inventory-worker" = data.aws_iam_policy_document.inventory_worker.json
    "orders-worker"    = data.aws_iam_policy_document.orders_worker.json
    "payments-worker"  = data.aws_iam_policy_document.payments_worker.json
    "webhooks-api"     = data.aws_iam_policy_document.webhooks_api.json
    "images-worker"    = data.aws_iam_policy_document.images_worker.json
    "outbox-relay"     = data.aws_iam_policy_document.outbox_relay.json
    "keda-operator"    = data.aws_iam_policy_document.keda_operator.json
    "xray-daemon"      = data.aws_iam_policy_document.xray_daemon.json
    "adot-collector"   = data.aws_iam_policy_document.adot_collector.json
    "fluent-bit"       = data.aws_iam_policy_document.fluent_bit.json
    "auditor"          = data.aws_iam_policy_document.auditor.json
  }
}
