# Everything one environment needs, composed from the modules beside this one. The
# environments (environments/dev, environments/prod) differ only in the variables they pass.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = var.region
  tags      = merge(var.tags, { Project = "ecommerce", Environment = var.environment })

  declarations = jsondecode(file("${path.module}/../../../iam/permissions.json")).deployables
  # Everything in the application namespace gets a log group (Fluent Bit writes to
  # "/<prefix>/<app.kubernetes.io/name>"): the handlers, the workers, the X-Ray daemon, and the
  # workloads without an IAM role of their own (the migration Job).
  app_deployables = concat(
    [for name, d in local.declarations : name if d.namespace == "ecommerce"],
    var.unprivileged_workloads,
  )
  # Every handler and worker writes a Heartbeat metric under its Service dimension: a
  # frontend's service name (handlers.users => users), a worker's deployable name.
  heartbeat_services = [
    for name, d in local.declarations : d.kind == "handler" ? trimprefix(d.module, "handlers.") : name
    if contains(["handler", "worker"], d.kind)
  ]
  # The Service dimension of the HTTP metrics is the handler module's name: handlers.users => users.
  frontends = [for name, d in local.declarations : trimprefix(d.module, "handlers.") if d.kind == "handler"]
  # Workers that consume a queue: their Service dimension (the name run_worker() is given, the
  # deployable's name: inventory-worker) => their Queue dimension (the logical queue name).
  queue_workers = { for name, d in local.declarations : name => d.queue if try(d.queue, null) != null }
}

# --- one key for the platform's data at rest: logs, EKS secrets, RDS, ElastiCache, ECR, pipeline

data "aws_iam_policy_document" "platform_key" {
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource means this key only; the account-root statement is the AWS default that lets IAM policies grant use of the key.
  #checkov:skip=CKV_AWS_356:Same: in a key policy, "*" is the key itself.
  #checkov:skip=CKV_AWS_109:Same: the root statement only delegates to IAM; no other principal administers the key.
  statement {
    sid       = "AccountAdministersThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }
  statement {
    sid       = "CloudWatchLogsEncryptsOurLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "platform" {
  description             = "${var.prefix}: logs, EKS secrets, RDS, ElastiCache, ECR, pipeline artifacts"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.platform_key.json
  tags                    = local.tags
}

resource "aws_kms_alias" "platform" {
  name          = "alias/${var.prefix}-platform"
  target_key_id = aws_kms_key.platform.key_id
}

# --- the bucket every other bucket writes its access logs to --------------------------------

resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop.
  #checkov:skip=CKV_AWS_144:Access logs stay in the region they describe.
  #checkov:skip=CKV2_AWS_62:Nothing consumes events of the access-log bucket.
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to SSE-S3 (AES256) buckets, not SSE-KMS.
  bucket        = "${var.prefix}-access-logs"
  force_destroy = var.force_destroy
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  rule {
    id     = "expire-access-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.log_retention_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 7
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/s3/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# --- network, cluster, registry -------------------------------------------------------------

module "network" {
  source              = "../network"
  name                = var.prefix
  region              = local.region
  interface_endpoints = var.interface_endpoints
  cluster_name        = var.prefix
  cidr                = var.vpc_cidr
  az_count            = var.az_count
  single_nat_gateway  = var.single_nat_gateway
  kms_key_arn         = aws_kms_key.platform.arn
  log_retention_days  = var.log_retention_days
  tags                = local.tags
}

module "eks" {
  source              = "../eks"
  name                = var.prefix
  kubernetes_version  = var.kubernetes_version
  private_subnet_ids  = module.network.private_subnet_ids
  admin_cidrs         = var.admin_cidrs
  admin_role_arns     = var.admin_role_arns
  deployer_role_arn   = module.pipeline.deploy_role_arn
  kms_key_arn         = aws_kms_key.platform.arn
  node_instance_types = var.node_instance_types
  node_min_size       = var.node_min_size
  node_desired_size   = var.node_desired_size
  node_max_size       = var.node_max_size
  log_retention_days  = var.log_retention_days
  tags                = local.tags
}

module "ecr" {
  source       = "../ecr"
  prefix       = var.prefix
  images       = ["app"]
  kms_key_arn  = aws_kms_key.platform.arn
  force_delete = var.force_destroy
  tags         = local.tags
}

# --- the application's resources (resources.py) ---------------------------------------------

module "application" {
  source                      = "../application"
  prefix                      = var.prefix
  account_id                  = local.account
  access_logging              = true
  access_log_bucket           = aws_s3_bucket.access_logs.id
  cors_allowed_origins        = var.cors_allowed_origins
  deletion_protection         = var.deletion_protection
  force_destroy               = var.force_destroy
  secret_recovery_window_days = var.deletion_protection ? 30 : 0
  tags                        = local.tags
}

# --- stores outside resources.py: orders' PostgreSQL, the cart's Redis ----------------------

module "rds" {
  source                    = "../rds"
  name                      = var.prefix
  region                    = local.region
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  client_security_group_ids = { cluster = module.eks.cluster_security_group_id }
  instance_class            = var.db_instance_class
  multi_az                  = var.db_multi_az
  deletion_protection       = var.deletion_protection
  kms_key_arn               = aws_kms_key.platform.arn
  tags                      = local.tags
}

module "redis" {
  source                      = "../redis"
  name                        = var.prefix
  secret_prefix               = var.prefix
  vpc_id                      = module.network.vpc_id
  subnet_ids                  = module.network.private_subnet_ids
  client_security_group_ids   = { cluster = module.eks.cluster_security_group_id }
  node_type                   = var.redis_node_type
  num_cache_clusters          = var.redis_num_cache_clusters
  apply_immediately           = !var.deletion_protection
  kms_key_arn                 = aws_kms_key.platform.arn
  log_retention_days          = var.log_retention_days
  secret_recovery_window_days = var.deletion_protection ? 30 : 0
  tags                        = local.tags
}

# --- identities -----------------------------------------------------------------------------

module "iam" {
  source                           = "../app-iam"
  prefix                           = var.prefix
  oidc_provider_arn                = module.eks.oidc_provider_arn
  oidc_issuer                      = module.eks.oidc_issuer
  table_arns                       = module.application.table_arns
  queue_arns                       = module.application.queue_arns
  dlq_arns                         = module.application.dlq_arns
  topic_arn                        = module.application.topic_arn
  bucket_arns                      = module.application.bucket_arns
  secret_arns                      = module.application.secret_arns
  database_user_arn                = module.rds.app_user_arn
  application_log_group_arn_prefix = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/${var.prefix}/"
  lb_controller_policy_arn         = var.lb_controller_policy_arn
  tags                             = local.tags
}

# --- observability --------------------------------------------------------------------------

module "observability" {
  source             = "../observability"
  prefix             = var.prefix
  region             = local.region
  deployables        = local.app_deployables
  heartbeat_services = local.heartbeat_services
  frontends          = local.frontends
  workers            = local.queue_workers
  queue_names        = module.application.queue_names
  dlq_names          = module.application.dlq_names
  max_receive_count  = 5
  alarm_emails       = var.alarm_emails
  log_retention_days = var.log_retention_days
  kms_key_arn        = aws_kms_key.platform.arn
  tags               = local.tags
}

# --- the public edge: API Gateway -> VPC link -> internal ALB -> frontend pods -----------------

module "gateway" {
  source                = "../gateway"
  prefix                = var.prefix
  vpc_id                = module.network.vpc_id
  lb_subnet_ids         = module.network.lb_subnet_ids
  pod_security_group_id = module.eks.cluster_security_group_id
  public_host           = var.public_host
  certificate_arn       = var.certificate_arn
  deletion_protection   = var.deletion_protection
  log_retention_days    = var.log_retention_days
  kms_key_arn           = aws_kms_key.platform.arn
  tags                  = local.tags
}

# --- what the Kubernetes overlay needs, for the deploy stage and for the first deploy by hand

locals {
  # k8s/overlays/<env>/app.env: the services' settings (src/ecommerce/platform/config.py).
  app_env = join("\n", [
    "AWS_REGION=${local.region}",
    "AWS_ACCOUNT_ID=${local.account}",
    "ECOMMERCE_PREFIX=${var.prefix}",
    "ECOMMERCE_TOPIC_ARN=${module.application.topic_arn}",
    "PAYMENT_GATEWAY_URL=${var.payment_gateway_url}",
    "TOKEN_ISSUER=${module.gateway.issuer}",
    # No password: the orders services sign in with an IAM token (DATABASE_IAM_AUTH), which
    # RDS's rotation of the master password does not touch; TLS verified against the RDS CA
    # bundle the image carries (Dockerfile).
    "DATABASE_URL=postgresql://${module.rds.app_user}@${module.rds.address}:${module.rds.port}/${module.rds.database_name}?sslmode=verify-full&sslrootcert=${var.rds_ca_bundle_path}",
    "DATABASE_IAM_AUTH=true",
    "DATABASE_APP_USER=${module.rds.app_user}",
    "",
  ])
  # k8s/overlays/<env>/deploy.env: values kustomize replacements put into the manifests.
  deploy_env = join("\n", concat(
    [for name, arn in module.iam.role_arns : "ROLE_ARN_${upper(replace(name, "-", "_"))}=${arn}"],
    [for name, url in module.application.queue_urls : "QUEUE_URL_${upper(replace(name, "-", "_"))}=${url}"],
    [for name, arn in module.gateway.target_group_arns : "TARGET_GROUP_ARN_${upper(name)}=${arn}"],
    [
      "AWS_REGION=${local.region}",
      "LB_SUBNETS_CIDR=${module.network.lb_subnets_cidr}",
      "PRIVATE_SUBNETS_CIDR=${module.network.private_subnets_cidr}",
      # The deploy stage replaces this with the hash of the Secret it writes (scripts/k8s-secrets.sh).
      "SECRETS_SHA256=none",
      "",
    ],
  ))
}

resource "aws_ssm_parameter" "app_env" {
  name   = "/${var.prefix}/k8s/app.env"
  type   = "SecureString"
  value  = local.app_env
  tier   = "Standard"
  key_id = "alias/aws/ssm"
  tags   = local.tags
}

resource "aws_ssm_parameter" "deploy_env" {
  name   = "/${var.prefix}/k8s/deploy.env"
  type   = "SecureString"
  value  = local.deploy_env
  tier   = "Standard"
  key_id = "alias/aws/ssm"
  tags   = local.tags
}

# --- the pipeline ---------------------------------------------------------------------------

module "pipeline" {
  source                    = "../pipeline"
  name                      = var.prefix
  repository                = var.repository
  branch                    = var.branch
  overlay                   = var.environment
  require_approval          = var.require_approval
  ecr_repository_url        = module.ecr.repository_urls["app"]
  ecr_repository_arn        = module.ecr.repository_arns["app"]
  eks_cluster_name          = module.eks.cluster_name
  eks_cluster_arn           = module.eks.cluster_arn
  cluster_security_group_id = module.eks.cluster_security_group_id
  region                    = local.region
  vpc_id                    = module.network.vpc_id
  private_subnet_ids        = module.network.private_subnet_ids
  app_env_parameter_name    = aws_ssm_parameter.app_env.name
  deploy_env_parameter_name = aws_ssm_parameter.deploy_env.name
  ssm_parameter_arns        = [aws_ssm_parameter.app_env.arn, aws_ssm_parameter.deploy_env.arn]
  database_secret_arn       = module.rds.master_user_secret_arn
  database_host             = module.rds.address
  database_name             = module.rds.database_name
  redis_url_secret_arn      = module.redis.redis_url_secret_arn
  deploy_secret_arns        = [module.rds.master_user_secret_arn, module.redis.redis_url_secret_arn]
  kms_key_arn               = aws_kms_key.platform.arn
  access_log_bucket         = aws_s3_bucket.access_logs.id
  log_retention_days        = var.log_retention_days
  force_destroy             = var.force_destroy
  tags                      = local.tags
}
