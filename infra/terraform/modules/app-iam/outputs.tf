output "role_arns" {
  description = "Deployable => IRSA role ARN (the eks.amazonaws.com/role-arn annotation)."
  value       = { for name, role in aws_iam_role.deployable : name => role.arn }
}

output "lb_controller_role_arn" {
  description = "IRSA role ARN of the AWS Load Balancer Controller."
  value       = aws_iam_role.lb_controller.arn
}

output "trust" {
  description = "Deployable => the web identity its role trusts: the OIDC provider, the service account (sub) and the audience."
  value = {
    for name, d in local.deployables : name => {
      provider = var.oidc_provider_arn
      sub      = "system:serviceaccount:${d.namespace}:${d.service_account}"
      aud      = "sts.amazonaws.com"
    }
  }
}
