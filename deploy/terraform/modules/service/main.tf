# formwork on ECS Fargate, from one image: the web service (`formwork serve --no-worker` behind the
# load balancer), the worker service (`formwork worker`) and the `migrate` task definition, run as
# a one-off task before a release's services roll (docs/deployment.md).

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  region  = data.aws_region.current.name
  account = data.aws_caller_identity.current.account_id

  # The task's /tmp: the one writable place under a read-only root file system (temporary files
  # of uploads and exports, TMPDIR).
  tmp_volume = "tmp"

  log_configuration = {
    for process in ["web", "worker", "migrate", "collector"] : process => {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this[process].name
        awslogs-region        = local.region
        awslogs-stream-prefix = process
      }
    }
  }

  # The formwork container as every process runs it; each adds its command and variables.
  formwork_container = {
    name                   = "formwork"
    image                  = var.image
    essential              = true
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = local.tmp_volume, containerPath = "/tmp", readOnly = false }]
    # formwork stops gracefully on SIGTERM: requests in hand finish, the job in hand up to 30 s.
    stopTimeout = 45
  }
}

# ---- network ----

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "formwork's tasks: from the load balancer on 8080; out to PostgreSQL, HTTPS and SMTP"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_load_balancer" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "HTTP from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 8080
  to_port                      = 8080
  referenced_security_group_id = var.load_balancer.security_group_id
}

resource "aws_vpc_security_group_egress_rule" "to_database" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  referenced_security_group_id = var.database.security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_tasks" {
  security_group_id            = var.database.security_group_id
  description                  = "PostgreSQL from ${var.name}'s tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  referenced_security_group_id = aws_security_group.tasks.id
}

# HTTPS to S3, ECR, Secrets Manager, CloudWatch and the OpenID Connect provider; SMTP submission
# to the mail relay. Those are outside the VPC (or behind endpoints with changing addresses).
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS: AWS APIs, the image registry, the OpenID Connect provider"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "smtp" {
  for_each          = toset(var.smtp ? ["465", "587"] : [])
  security_group_id = aws_security_group.tasks.id
  description       = "SMTP submission to the mail relay"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = "0.0.0.0/0"
}

# ---- logs ----

resource "aws_cloudwatch_log_group" "this" {
  for_each          = toset(["web", "worker", "migrate", "collector"])
  name              = "/formwork/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# ---- task definitions ----

resource "aws_ecs_task_definition" "web" {
  family                   = "${var.name}-web"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.web.cpu
  memory                   = var.web.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.app.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = local.tmp_volume
  }

  container_definitions = jsonencode([
    merge(local.formwork_container, {
      command          = ["serve"]
      portMappings     = [{ containerPort = 8080, protocol = "tcp" }]
      environment      = [for name, value in merge(local.environment, local.web_environment) : { name = name, value = value }]
      secrets          = [for name, arn in merge(local.secrets, local.web_secrets) : { name = name, valueFrom = arn }]
      logConfiguration = local.log_configuration.web
      healthCheck = {
        command     = ["CMD", "/usr/local/bin/formwork", "healthcheck"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
    }),
    local.metrics_collector_container,
  ])
}

resource "aws_ecs_task_definition" "worker" {
  family                   = "${var.name}-worker"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.worker.cpu
  memory                   = var.worker.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.app.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # Uploads are copied here to be read, and exports spool their other parts: room for a few
  # of MAX_UPLOAD_BYTES at once.
  ephemeral_storage {
    size_in_gib = var.worker.ephemeral_storage_gib
  }

  volume {
    name = local.tmp_volume
  }

  container_definitions = jsonencode([
    merge(local.formwork_container, {
      command          = ["worker"]
      environment      = [for name, value in merge(local.environment, local.worker_environment) : { name = name, value = value }]
      secrets          = [for name, arn in local.secrets : { name = name, valueFrom = arn }]
      logConfiguration = local.log_configuration.worker
    }),
  ])
}

resource "aws_ecs_task_definition" "migrate" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = local.tmp_volume
  }

  container_definitions = jsonencode([
    merge(local.formwork_container, {
      image            = var.migrate_image
      command          = ["migrate"]
      environment      = [for name, value in local.database_environment : { name = name, value = value }]
      secrets          = [for name, arn in local.database_secrets : { name = name, valueFrom = arn }]
      logConfiguration = local.log_configuration.migrate
    }),
  ])
}

# ---- services ----

resource "aws_ecs_service" "web" {
  name                              = "${var.name}-web"
  cluster                           = var.cluster_arn
  task_definition                   = aws_ecs_task_definition.web.arn
  desired_count                     = local.web_min
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  # A rolling deployment: the new tasks pass /readyz before the old ones stop; a release whose
  # tasks never become ready is rolled back by itself.
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.web.arn
    container_name   = "formwork"
    container_port   = 8080
  }

  # The number of tasks is autoscaling's (web.tf) once the service exists.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener_rule.web]
}

resource "aws_ecs_service" "worker" {
  name                    = "${var.name}-worker"
  cluster                 = var.cluster_arn
  task_definition         = aws_ecs_task_definition.worker.arn
  desired_count           = local.worker_min
  launch_type             = "FARGATE"
  platform_version        = "LATEST"
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}
