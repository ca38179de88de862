# The application's AWS resources by logical name: the Terraform twin of
# src/ecommerce/resources.py. Every module that creates them reads these outputs, and
# tests/infra/test_infra_resources.py fails when this file and resources.py disagree.
# Physical names are "<prefix>-<name>" (secrets "<prefix>/<name>"), as resources.physical()
# and resources.secret_id() build them.

locals {
  topic = "domain-events"

  # event_types: the filter policy on the `event_type` message attribute; an empty list means
  # the queue is not subscribed to the topic (the images queue is fed by S3 notifications).
  queues = {
    inventory = {
      event_types        = ["OrderPlaced", "OrderConfirmed", "OrderCancelled"]
      visibility_timeout = 30
      max_receive_count  = 5
    }
    orders = {
      event_types        = ["InventoryReserved", "InventoryRejected", "PaymentActionRequired", "PaymentSucceeded", "PaymentFailed", "ProductChanged"]
      visibility_timeout = 30
      max_receive_count  = 5
    }
    payments = {
      event_types        = ["InventoryReserved", "OrderCancelled"]
      visibility_timeout = 60
      max_receive_count  = 5
    }
    images = {
      event_types        = []
      visibility_timeout = 120
      max_receive_count  = 5
    }
    # Fed by the webhooks frontend (verified processor events), not by the topic.
    payment-webhooks = {
      event_types        = []
      visibility_timeout = 60
      max_receive_count  = 5
    }
  }

  # gsis: global secondary indexes, string keys, every attribute projected.
  # ttl_attribute: items expire at the epoch seconds it holds (DynamoDB TTL), or null.
  tables = {
    users = { hash_key = "pk", range_key = null, gsis = [], ttl_attribute = null }
    products = {
      hash_key  = "pk"
      range_key = null
      # by-category serves GET /products?category= (reservation items have no category).
      gsis = [{ name = "by-category", hash_key = "category", range_key = "pk" }]
      # Settled reservations expire (ecommerce.catalog.inventory.reservation_store).
      ttl_attribute = "expires_at"
    }
    # The marks of processed webhooks expire (ecommerce.payments.ledger); payments do not.
    payments = { hash_key = "pk", range_key = null, gsis = [], ttl_attribute = "expires_at" }
  }

  buckets = ["product-images"]

  secrets = {
    "jwt-signing-keys" = { description = "Private keys that sign access tokens (users service)" }
    "jwt-public-keys"  = { description = "JWKS of every current token-signing key (all services)" }
    # Put the processor's key in after the apply (docs/payments.md); rolled keys the same way.
    "payment-gateway-key" = { description = "Secret API key of the payment processor (payments worker)" }
    # The signing secret(s) of the processor's webhook endpoint, whsec_... comma separated.
    "payment-webhook-secrets" = { description = "Signing secrets of the processor's webhooks (payments webhooks frontend)" }
  }

  # Which bucket notifies which queue, of which events, for the keys under which prefix: the
  # catalog's presigned uploads; thumbnails are written elsewhere, so they never loop.
  bucket_notifications = {
    "product-images" = { queue = "images", filter_prefix = "uploads/", events = ["s3:ObjectCreated:*"] }
  }
}

output "topic" {
  description = "Logical name of the domain-events topic."
  value       = local.topic
}

output "queues" {
  description = "Logical queue name => event types, visibility timeout, max receive count."
  value       = local.queues
}

output "tables" {
  description = "Logical table name => key schema and global secondary indexes."
  value       = local.tables
}

output "buckets" {
  description = "Logical bucket names."
  value       = local.buckets
}

output "secrets" {
  description = "Logical secret name => description."
  value       = local.secrets
}

output "bucket_notifications" {
  description = "Logical bucket name => the queue its uploads notify, the key prefix and the events."
  value       = local.bucket_notifications
}
