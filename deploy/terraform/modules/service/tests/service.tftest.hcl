# The services take requests only through CloudFront's header (and their host name), read their
# secrets from Secrets Manager with no password in DATABASE_URL, run on a read-only root file
# system, touch only their prefix of the bucket, scale on CPU and requests, and keep /metrics to
# the collector inside the task.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name          = "formwork-test"
  image         = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/formwork:v2"
  migrate_image = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/formwork:v2"
  cluster_arn   = "arn:aws:ecs:eu-west-2:123456789012:cluster/formwork-test"
  cluster_name  = "formwork-test"
  vpc_id        = "vpc-0123456789"
  subnet_ids    = ["subnet-a", "subnet-b"]
  load_balancer = {
    listener_arn      = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/test/0123456789abcdef/0123456789abcdef"
    rule_priority     = 100
    security_group_id = "sg-alb"
    arn_suffix        = "app/test/0123456789abcdef"
  }
  origin_header = { name = "X-Origin-Verify", value = "the-origin-secret" }
  host_name     = "pr-1.review.returns.example.gov.uk"
  database = {
    address            = "formwork.abcdefghijkl.eu-west-2.rds.amazonaws.com"
    port               = 5432
    name               = "formwork"
    username           = "formwork"
    secret_arn         = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-test"
    secret_kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    security_group_id  = "sg-db"
  }
  storage = {
    bucket      = "formwork-test-files"
    bucket_arn  = "arn:aws:s3:::formwork-test-files"
    prefix      = "formwork"
    kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
  }
  kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
  base_url    = "https://pr-1.review.returns.example.gov.uk"
  mail_from   = "formwork <no-reply@returns.example.gov.uk>"
}

run "requests_come_only_through_cloudfront" {
  command = plan

  assert {
    condition = anytrue([
      for condition in aws_lb_listener_rule.web.condition :
      try(one(condition.http_header).http_header_name == "X-Origin-Verify" && one(condition.http_header).values == toset(["the-origin-secret"]), false)
    ])
    error_message = "The web service's rule must forward only requests carrying CloudFront's secret header."
  }

  assert {
    condition = anytrue([
      for condition in aws_lb_listener_rule.web.condition :
      try(one(condition.host_header).values == toset(["pr-1.review.returns.example.gov.uk"]), false)
    ])
    error_message = "On a shared load balancer, the rule must forward only the app's host name."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.from_load_balancer.referenced_security_group_id == "sg-alb" &&
      aws_vpc_security_group_ingress_rule.from_load_balancer.cidr_ipv4 == null
    )
    error_message = "The tasks must admit the load balancer alone."
  }

  assert {
    condition     = aws_lb_target_group.web.health_check[0].path == "/readyz"
    error_message = "The load balancer must ask /readyz."
  }
}

run "secrets_come_from_secrets_manager" {
  command = plan

  assert {
    condition     = can(regex("^postgres://formwork@[^:/]+:5432/formwork\\?sslmode=require$", local.database_url))
    error_message = "DATABASE_URL must hold no password, and ask for TLS."
  }

  assert {
    condition = alltrue([
      for container in jsondecode(aws_ecs_task_definition.web.container_definitions) :
      alltrue([for variable in container.environment : !can(regex("PASSWORD|SECRET|TOKEN", variable.name))])
    ])
    error_message = "No password, secret or token may be a plain environment variable."
  }

  assert {
    condition = contains(
      [for secret in jsondecode(aws_ecs_task_definition.web.container_definitions)[0].secrets : secret if secret.name == "DATABASE_PASSWORD"],
      { name = "DATABASE_PASSWORD", valueFrom = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-test:password::" }
    )
    error_message = "DATABASE_PASSWORD must be the password key of RDS's secret."
  }

  assert {
    condition = alltrue([
      for definition in [aws_ecs_task_definition.web, aws_ecs_task_definition.worker, aws_ecs_task_definition.migrate] :
      contains([for secret in jsondecode(definition.container_definitions)[0].secrets : secret.name], "DATABASE_PASSWORD")
    ])
    error_message = "Every process gets DATABASE_PASSWORD."
  }

  assert {
    condition     = contains([for secret in jsondecode(aws_ecs_task_definition.web.container_definitions)[0].secrets : secret.name], "METRICS_TOKEN")
    error_message = "The web service gets METRICS_TOKEN from Secrets Manager."
  }
}

run "processes_run_as_the_release_says" {
  command = plan

  assert {
    condition = alltrue([
      for definition in [aws_ecs_task_definition.web, aws_ecs_task_definition.worker, aws_ecs_task_definition.migrate] :
      jsondecode(definition.container_definitions)[0].readonlyRootFilesystem
    ])
    error_message = "formwork runs on a read-only root file system."
  }

  assert {
    condition = (
      jsondecode(aws_ecs_task_definition.web.container_definitions)[0].command == ["serve"] &&
      jsondecode(aws_ecs_task_definition.worker.container_definitions)[0].command == ["worker"] &&
      jsondecode(aws_ecs_task_definition.migrate.container_definitions)[0].command == ["migrate"]
    )
    error_message = "One image runs serve, worker and migrate."
  }

  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.web.container_definitions)[0].environment,
      { name = "NO_WORKER", value = "true" }
    )
    error_message = "The web service's serve must not run jobs: the worker service does."
  }
}

run "files_only_under_the_prefix" {
  command = plan

  assert {
    condition = alltrue([
      for statement in jsondecode(aws_iam_role_policy.app_storage.policy).Statement :
      statement.Resource == "arn:aws:s3:::formwork-test-files/formwork/*" ||
      try(statement.Action == "s3:ListBucket" && statement.Condition.StringLike["s3:prefix"] == ["formwork", "formwork/*"], false) ||
      statement.Resource == var.storage.kms_key_arn
    ])
    error_message = "The tasks may touch only their prefix of the bucket."
  }
}

run "services_scale_on_cpu_requests_and_jobs" {
  command = plan

  assert {
    condition = (
      aws_appautoscaling_policy.web_cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      aws_appautoscaling_policy.web_requests.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget"
    )
    error_message = "The web service scales on CPU and on requests per task."
  }

  assert {
    condition = (
      aws_appautoscaling_policy.worker_cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      contains([for metric in aws_appautoscaling_policy.worker_backlog.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics : metric.expression if metric.return_data], "waiting / tasks")
    )
    error_message = "The worker service scales on CPU and on the jobs waiting for each task."
  }
}

run "metrics_are_scraped_inside_the_task" {
  command = plan

  assert {
    condition     = strcontains(local.collector_config, "localhost:8080") && strcontains(local.collector_config, "$${env:METRICS_TOKEN}")
    error_message = "The collector scrapes its own task's formwork with the token from the secret."
  }
}
