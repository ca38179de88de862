output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.main.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.main.arn
}

output "cluster_security_group_id" {
  description = "Security group EKS attaches to the control plane and the managed nodes (and so to pods)."
  value       = aws_eks_cluster.main.vpc_config[0].cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider (IRSA)."
  value       = aws_iam_openid_connect_provider.cluster.arn
}

output "oidc_issuer" {
  description = "OIDC issuer without https:// (the prefix of IRSA condition keys)."
  value       = replace(aws_eks_cluster.main.identity[0].oidc[0].issuer, "https://", "")
}

output "cluster_version" {
  description = "Kubernetes version of the control plane."
  value       = aws_eks_cluster.main.version
}

output "cluster_autoscaler_role_arn" {
  description = "IRSA role for the Cluster Autoscaler's service account (kube-system/cluster-autoscaler)."
  value       = aws_iam_role.cluster_autoscaler.arn
}

output "node_group_name" {
  description = "The managed node group."
  value       = aws_eks_node_group.main.node_group_name
}

output "node_group_version" {
  description = "Kubernetes version of the managed node group (the control plane's)."
  value       = aws_eks_node_group.main.version
}
