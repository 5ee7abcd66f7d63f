output "web_service_name" {
  description = "The web service."
  value       = aws_ecs_service.web.name
}

output "worker_service_name" {
  description = "The worker service."
  value       = aws_ecs_service.worker.name
}

output "migrate_task_definition" {
  description = "The migrate task definition's family: aws ecs run-task --task-definition THIS (docs/deployment.md)."
  value       = aws_ecs_task_definition.migrate.family
}

output "task_security_group_id" {
  description = "The tasks' security group (for run-task's network configuration)."
  value       = aws_security_group.tasks.id
}

output "target_group_arn_suffix" {
  description = "The web target group's ARN suffix, for alarms."
  value       = aws_lb_target_group.web.arn_suffix
}

output "metrics_namespace" {
  description = "The CloudWatch namespace of formwork's own gauges."
  value       = local.metrics_namespace
}

output "secrets" {
  description = "The secrets an operator fills in (SMTP_URL, OIDC_CLIENT_SECRET): their names."
  value = compact([
    one(aws_secretsmanager_secret.smtp_url[*].name),
    one(aws_secretsmanager_secret.oidc_client_secret[*].name),
  ])
}

output "execution_role_arn" {
  description = "ECS's role to start the tasks (it may read the database's secret), for other one-off tasks beside migrate."
  value       = aws_iam_role.execution.arn
}

output "web_environment" {
  description = "The web tasks' plain environment variables (no secrets), as formwork gets them."
  value       = merge(local.environment, local.web_environment)
}

output "secret_variables" {
  description = "The variables each process reads from Secrets Manager, by process."
  value = {
    web     = sort(keys(merge(local.secrets, local.web_secrets)))
    worker  = sort(keys(local.secrets))
    migrate = sort(keys(local.database_secrets))
  }
}

output "task_definitions" {
  description = "The task definitions (ARN with revision) the services run, to tell a finished rollout from one rolled back."
  value = {
    web    = aws_ecs_task_definition.web.arn
    worker = aws_ecs_task_definition.worker.arn
  }
}
