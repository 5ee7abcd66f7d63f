output "base_url" {
  description = "Where the service answers."
  value       = module.formwork.base_url
}

output "repository_url" {
  description = "Where to push the image."
  value       = module.formwork.repository_url
}

output "cluster" {
  description = "The ECS cluster."
  value       = module.formwork.cluster
}

output "web_service" {
  description = "The web service."
  value       = module.formwork.web_service
}

output "worker_service" {
  description = "The worker service."
  value       = module.formwork.worker_service
}

output "migrate_task_definition" {
  description = "The migrate task definition's family."
  value       = module.formwork.migrate_task_definition
}

output "task_network_configuration" {
  description = "run-task's --network-configuration for the migrate task."
  value       = module.formwork.task_network_configuration
}

output "secrets_to_fill" {
  description = "Secrets whose values an operator puts."
  value       = module.formwork.secrets_to_fill
}

output "database_instance" {
  description = "The RDS instance."
  value       = module.formwork.database_instance
}

output "files_bucket" {
  description = "The files bucket."
  value       = module.formwork.files_bucket
}

output "cloudfront_distribution" {
  description = "The CloudFront distribution."
  value       = module.cdn.distribution_id
}

output "alarm_topic" {
  description = "The alarms' SNS topic."
  value       = module.formwork.alarm_topic
}

output "ci_role_arn" {
  description = "The role the CI system assumes."
  value       = module.formwork.ci_role_arn
}

output "image_tag" {
  description = "The image tag the services run (deploy/release reads it)."
  value       = var.image_tag
}

output "database_protection" {
  description = "How PostgreSQL is protected."
  value       = module.formwork.database_protection
}

output "web_environment" {
  description = "The web tasks' plain environment variables (no secrets)."
  value       = module.formwork.web_environment
}

output "web_task_definition" {
  description = "The task definition the web service runs (deploy/release checks the rollout reached it)."
  value       = module.formwork.task_definitions.web
}

output "worker_task_definition" {
  description = "The task definition the worker service runs."
  value       = module.formwork.task_definitions.worker
}
