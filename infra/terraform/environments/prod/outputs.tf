output "stack" {
  description = "Everything the deploy guide reads: terraform output -json stack"
  value       = module.stack
}

output "k8s_app_env" {
  description = "terraform output -raw k8s_app_env > k8s/overlays/<env>/app.env"
  value       = module.stack.k8s_app_env
}

output "k8s_deploy_env" {
  description = "terraform output -raw k8s_deploy_env > k8s/overlays/<env>/deploy.env"
  value       = module.stack.k8s_deploy_env
}
