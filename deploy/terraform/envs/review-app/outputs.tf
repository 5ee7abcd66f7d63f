output "base_url" {
  description = "Where the app answers."
  value       = "https://${local.host_name}"
}

output "image_tag" {
  description = "The image tag the services run."
  value       = var.image_tag
}

output "cluster" {
  description = "The shared ECS cluster."
  value       = local.review.cluster_name
}

output "web_service" {
  description = "The app's web service."
  value       = module.service.web_service_name
}

output "worker_service" {
  description = "The app's worker service."
  value       = module.service.worker_service_name
}

output "migrate_task_definition" {
  description = "The app's migrate task definition."
  value       = module.service.migrate_task_definition
}

output "create_database_task_definition" {
  description = "The task that makes the app's database (run before the first migrate)."
  value       = aws_ecs_task_definition.database["create"].family
}

output "drop_database_task_definition" {
  description = "The task that drops the app's database (run before terraform destroy)."
  value       = aws_ecs_task_definition.database["drop"].family
}

output "task_network_configuration" {
  description = "run-task's --network-configuration for the one-off tasks."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = local.review.private_subnet_ids
      securityGroups = [module.service.task_security_group_id]
      assignPublicIp = "DISABLED"
    }
  })
}

output "web_environment" {
  description = "The web tasks' plain environment variables (no secrets)."
  value       = module.service.web_environment
}

output "web_task_definition" {
  description = "The task definition the web service runs (deploy/release checks the rollout reached it)."
  value       = module.service.task_definitions.web
}

output "worker_task_definition" {
  description = "The task definition the worker service runs."
  value       = module.service.task_definitions.worker
}
