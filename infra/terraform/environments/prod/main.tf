# prod: three zones, a NAT gateway per zone, Multi-AZ database, a cache replica with
# failover, deletion protection, and a manual approval before the pipeline deploys.

module "stack" {
  source = "../../modules/stack"

  region             = var.region
  environment        = "prod"
  prefix             = var.prefix
  vpc_cidr           = "10.30.0.0/16"
  az_count           = 3
  single_nat_gateway = false
  # The AWS APIs the pods call answer inside the VPC (dev goes through its NAT gateway).
  interface_endpoints = ["sqs", "sns", "sts", "secretsmanager", "ecr.api", "ecr.dkr", "logs", "xray"]
  kubernetes_version  = var.kubernetes_version
  admin_cidrs         = var.admin_cidrs
  admin_role_arns     = var.admin_role_arns

  node_instance_types = ["m6i.large"]
  node_min_size       = 3
  node_desired_size   = 3
  node_max_size       = 9

  db_instance_class        = "db.r6g.large"
  db_multi_az              = true
  redis_node_type          = "cache.r6g.large"
  redis_num_cache_clusters = 2

  deletion_protection = true
  force_destroy       = false
  log_retention_days  = 365

  alarm_emails             = var.alarm_emails
  public_host              = var.public_host
  certificate_arn          = var.certificate_arn
  cors_allowed_origins     = var.cors_allowed_origins
  payment_gateway_url      = var.payment_gateway_url
  lb_controller_policy_arn = var.lb_controller_policy_arn

  repository       = var.repository
  branch           = var.branch
  require_approval = true
}
