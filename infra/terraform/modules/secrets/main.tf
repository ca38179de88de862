# The application's secrets, created empty: the deploy guide puts the first JWT key set
# (ecommerce.platform.jwt_keys.generate_key_set) into them. Names are "<prefix>/<name>".

resource "aws_secretsmanager_secret" "secret" {
  #checkov:skip=CKV_AWS_149:AWS managed key (aws/secretsmanager) on purpose: a customer managed key would add kms:Decrypt to every service role, outside the declared least-privilege actions.
  #checkov:skip=CKV2_AWS_57:The JWT key sets rotate by the application's own procedure (add a key, make it current, keep the old one in the JWKS), not by a Secrets Manager rotation Lambda.
  for_each                = var.secrets
  name                    = "${var.prefix}/${each.key}"
  description             = each.value.description
  recovery_window_in_days = var.recovery_window_in_days
  tags                    = var.tags
}
