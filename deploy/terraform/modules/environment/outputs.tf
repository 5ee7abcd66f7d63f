output "base_url" {
  description = "Where the service answers."
  value       = "https://${var.domain_name}"
}

output "repository_url" {
  description = "Where to push the image (docker push THIS:TAG)."
  value       = aws_ecr_repository.this.repository_url
}

output "cluster" {
  description = "The ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "web_service" {
  description = "The web service."
  value       = module.service.web_service_name
}

output "worker_service" {
  description = "The worker service."
  value       = module.service.worker_service_name
}

output "migrate_task_definition" {
  description = "The migrate task definition's family."
  value       = module.service.migrate_task_definition
}

output "task_network_configuration" {
  description = "The network configuration for aws ecs run-task (the migrate task), as the CLI takes it."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = module.network.private_subnet_ids
      securityGroups = [module.service.task_security_group_id]
      assignPublicIp = "DISABLED"
    }
  })
}

output "secrets_to_fill" {
  description = "Secrets an operator puts the values of (aws secretsmanager put-secret-value)."
  value       = module.service.secrets
}

output "database_instance" {
  description = "The RDS instance (for restores)."
  value       = module.database.instance_id
}

output "files_bucket" {
  description = "The files bucket."
  value       = module.storage.files_bucket
}

output "alarm_topic" {
  description = "The alarms' SNS topic."
  value       = module.alarms.topic_arn
}

output "ci_role_arn" {
  description = "The role the CI system assumes (null without ci_subjects)."
  value       = one(module.ci_access[*].role_arn)
}

output "origin_domain_name" {
  description = "The load balancer's name, for CloudFront (modules/cdn)."
  value       = module.load_balancer.origin_domain_name
}

output "origin_header" {
  description = "The secret header CloudFront must send (modules/cdn)."
  value       = module.load_balancer.origin_header
  sensitive   = true
}

output "logs_bucket_domain_name" {
  description = "The access logs bucket, for CloudFront (modules/cdn)."
  value       = module.storage.logs_bucket_domain_name
}

output "database_protection" {
  description = "How PostgreSQL is protected (modules/database)."
  value       = module.database.protection
}

output "web_environment" {
  description = "The web tasks' plain environment variables."
  value       = module.service.web_environment
}

output "load_balancer_deletion_protection" {
  description = "Whether the load balancer refuses deletion."
  value       = var.deletion_protection
}

output "task_definitions" {
  description = "The task definitions the web and worker services run."
  value       = module.service.task_definitions
}
