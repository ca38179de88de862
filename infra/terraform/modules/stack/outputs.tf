output "region" {
  description = "AWS region."
  value       = local.region
}

output "prefix" {
  description = "ECOMMERCE_PREFIX."
  value       = var.prefix
}

output "vpc_id" {
  description = "VPC of the cluster (the load balancer controller's vpcId)."
  value       = module.network.vpc_id
}

output "cluster_name" {
  description = "EKS cluster (aws eks update-kubeconfig --name ...)."
  value       = module.eks.cluster_name
}

output "ecr_repository_url" {
  description = "Where the image goes."
  value       = module.ecr.repository_urls["app"]
}

output "topic_arn" {
  description = "ECOMMERCE_TOPIC_ARN."
  value       = module.application.topic_arn
}

output "queue_urls" {
  description = "Logical queue name => URL."
  value       = module.application.queue_urls
}

output "role_arns" {
  description = "Deployable => IRSA role ARN."
  value       = module.iam.role_arns
}

output "lb_controller_role_arn" {
  description = "IRSA role for the AWS Load Balancer Controller's service account."
  value       = module.iam.lb_controller_role_arn
}

output "secret_arns" {
  description = "Logical secret name => ARN (the JWT key sets go here)."
  value       = module.application.secret_arns
}

output "database_host" {
  description = "PostgreSQL hostname."
  value       = module.rds.address
}

output "database_name" {
  description = "PostgreSQL database."
  value       = module.rds.database_name
}

output "database_secret_arn" {
  description = "RDS-managed master user secret (the migration Job's credentials; the services sign in with IAM)."
  value       = module.rds.master_user_secret_arn
}

output "redis_url_secret_arn" {
  description = "Secret holding REDIS_URL."
  value       = module.redis.redis_url_secret_arn
}

output "k8s_app_env" {
  description = "Contents of k8s/overlays/<env>/app.env."
  value       = local.app_env
}

output "k8s_deploy_env" {
  description = "Contents of k8s/overlays/<env>/deploy.env."
  value       = local.deploy_env
}

output "pipeline_name" {
  description = "CodePipeline name."
  value       = module.pipeline.pipeline_name
}

output "connection_arn" {
  description = "CodeConnections connection: authorize it once in the console."
  value       = module.pipeline.connection_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.observability.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.observability.alarm_topic_arn
}

output "cluster_autoscaler_role_arn" {
  description = "IRSA role for the Cluster Autoscaler's service account."
  value       = module.eks.cluster_autoscaler_role_arn
}

output "api_domain_target" {
  description = "Where the public host's DNS record points (alias A or CNAME)."
  value       = module.gateway.domain_target
}

output "api_domain_hosted_zone_id" {
  description = "Hosted zone of api_domain_target (Route 53 alias records)."
  value       = module.gateway.domain_hosted_zone_id
}

output "token_issuer" {
  description = "Issuer of the access tokens, trusted by the API's JWT authorizer."
  value       = module.gateway.issuer
}

output "api_access_log_group" {
  description = "Log group of the API Gateway access logs."
  value       = module.gateway.access_log_group
}

output "checks" {
  description = "What the environment's terraform tests assert (tests/*.tftest.hcl): queues and their redrive and filter policies, IRSA trust, alarms, database, cache, network and edge facts."
  value = {
    declared                   = module.application.declared
    queue_arns                 = module.application.queue_arns
    dlq_arns                   = module.application.dlq_arns
    redrive_policies           = module.application.redrive_policies
    filter_policies            = module.application.filter_policies
    trust                      = module.iam.trust
    oidc_provider_arn          = module.eks.oidc_provider_arn
    alarms                     = module.observability.alarms
    alarm_topic_arn            = module.observability.alarm_topic_arn
    alarm_topic_key_arn        = module.observability.alarm_topic_key_arn
    alarms_key_arn             = module.observability.alarms_key_arn
    log_groups                 = module.observability.log_group_names
    database_multi_az          = module.rds.multi_az
    database_iam_auth          = module.rds.iam_database_authentication
    redis_auth_update_strategy = module.redis.auth_token_update_strategy
    cluster_api_access         = module.pipeline.cluster_api_access
    cluster_security_group_id  = module.eks.cluster_security_group_id
    deploy_security_group_id   = module.pipeline.deploy_security_group_id
    cluster_version            = module.eks.cluster_version
    node_group_version         = module.eks.node_group_version
    interface_endpoints        = module.network.interface_endpoints
    api_routes                 = module.gateway.routes
    api_authorizer             = module.gateway.authorizer
  }
}
