# dev: two zones, one NAT gateway, small nodes, single-AZ database and cache, nothing
# deletion-protected, and the pipeline deploys every push without approval.

module "stack" {
  source = "../../modules/stack"

  region             = var.region
  environment        = "dev"
  prefix             = var.prefix
  vpc_cidr           = "10.20.0.0/16"
  az_count           = 2
  single_nat_gateway = true
  kubernetes_version = var.kubernetes_version
  admin_cidrs        = var.admin_cidrs
  admin_role_arns    = var.admin_role_arns

  node_instance_types = ["t3.large"]
  node_min_size       = 2
  node_desired_size   = 2
  node_max_size       = 4

  db_instance_class        = "db.t4g.micro"
  db_multi_az              = false
  redis_node_type          = "cache.t4g.micro"
  redis_num_cache_clusters = 1

  deletion_protection = false
  force_destroy       = true
  log_retention_days  = 365

  alarm_emails             = var.alarm_emails
  public_host              = var.public_host
  certificate_arn          = var.certificate_arn
  cors_allowed_origins     = var.cors_allowed_origins
  payment_gateway_url      = var.payment_gateway_url
  lb_controller_policy_arn = var.lb_controller_policy_arn

  repository       = var.repository
  branch           = var.branch
  require_approval = false
}
