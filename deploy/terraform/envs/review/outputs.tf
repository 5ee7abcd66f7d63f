# What envs/review-app reads from this state.

output "domain_name" {
  description = "The domain review apps live under."
  value       = var.domain_name
}

output "vpc_id" {
  description = "The VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Subnets for the apps' tasks."
  value       = module.network.private_subnet_ids
}

output "cluster_arn" {
  description = "The shared ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "The shared ECS cluster's name."
  value       = aws_ecs_cluster.this.name
}

output "repository_url" {
  description = "Where review images are pushed."
  value       = aws_ecr_repository.this.repository_url
}

output "load_balancer" {
  description = "The shared HTTPS listener, its security group and ARN suffix."
  value = {
    listener_arn      = module.load_balancer.listener_arn
    security_group_id = module.load_balancer.security_group_id
    arn_suffix        = module.load_balancer.arn_suffix
  }
}

output "origin_header" {
  description = "CloudFront's secret origin header."
  value       = module.load_balancer.origin_header
  sensitive   = true
}

output "database" {
  description = "The shared PostgreSQL server and its master secret."
  value = {
    address            = module.database.address
    port               = module.database.port
    username           = module.database.username
    secret_arn         = module.database.master_secret_arn
    secret_kms_key_arn = module.storage.kms_key_arn
    security_group_id  = module.database.security_group_id
  }
}

output "storage" {
  description = "The shared files bucket."
  value = {
    bucket      = module.storage.files_bucket
    bucket_arn  = module.storage.files_bucket_arn
    kms_key_arn = module.storage.kms_key_arn
  }
}

output "kms_key_arn" {
  description = "The key for the apps' logs and secrets."
  value       = module.storage.kms_key_arn
}

output "ci_role_arn" {
  description = "The role the CI system assumes to deploy review apps."
  value       = one(module.ci_access[*].role_arn)
}

output "database_protection" {
  description = "How the shared PostgreSQL server is protected."
  value       = module.database.protection
}

output "files_bucket" {
  description = "The shared files bucket's name (each app has its prefix, formwork-review-CHANGE/)."
  value       = module.storage.files_bucket
}
