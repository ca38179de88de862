output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.main.id
}

output "vpc_cidr" {
  description = "CIDR of the VPC."
  value       = aws_vpc.main.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancers, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (nodes, pods, databases, the deploy CodeBuild)."
  value       = aws_subnet.private[*].id
}

output "lb_subnet_ids" {
  description = "Subnets of the internal ALB and the API Gateway VPC link."
  value       = aws_subnet.lb[*].id
}

output "lb_subnets_cidr" {
  description = "The one block holding every load balancer subnet (the NetworkPolicies admit it)."
  value       = local.lb_block
}

output "private_subnets_cidr" {
  description = "The one block holding every private subnet (nodes, pods, RDS, ElastiCache): the upper half of the VPC."
  value       = cidrsubnet(var.cidr, 1, 1)
}

output "interface_endpoints" {
  description = "Service => interface VPC endpoint ID."
  value       = { for service, endpoint in aws_vpc_endpoint.interface : service => endpoint.id }
}
