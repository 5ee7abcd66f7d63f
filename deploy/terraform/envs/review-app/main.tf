# One change's review app, on what envs/review shares: its own web and worker services and
# migrate task on the shared cluster, its own database on the shared server, its own prefix of the
# shared bucket (the tasks may touch nothing else), and its own host name, CHANGE.REVIEW_DOMAIN,
# routed to it by the shared load balancer. Made when the change opens, destroyed when it closes
# (docs/deployment.md, review apps).

data "terraform_remote_state" "review" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "formwork/review.tfstate"
    region = var.region
  }
}

locals {
  review    = data.terraform_remote_state.review.outputs
  name      = "formwork-review-${var.change}"
  host_name = "${var.change}.${local.review.domain_name}"
  # PostgreSQL names: letters, digits and underscores.
  database_name = "review_${replace(var.change, "-", "_")}"
}

module "service" {
  source        = "../../modules/service"
  name          = local.name
  image         = "${local.review.repository_url}:${var.image_tag}"
  migrate_image = "${local.review.repository_url}:${coalesce(var.migrate_image_tag, var.image_tag)}"
  cluster_arn   = local.review.cluster_arn
  cluster_name  = local.review.cluster_name
  vpc_id        = local.review.vpc_id
  subnet_ids    = local.review.private_subnet_ids
  load_balancer = merge(local.review.load_balancer, { rule_priority = var.listener_rule_priority })
  origin_header = local.review.origin_header
  host_name     = local.host_name
  database = merge(local.review.database, {
    name = local.database_name
  })
  storage = merge(local.review.storage, {
    prefix = local.name
  })
  kms_key_arn                 = local.review.kms_key_arn
  base_url                    = "https://${local.host_name}"
  service_name                = "formwork (review ${var.change})"
  mail_from                   = "formwork review <no-reply@${local.review.domain_name}>"
  smtp                        = false
  database_max_connections    = 5
  web                         = { cpu = 256, memory = 512, min = 1, max = 1 }
  worker                      = { cpu = 512, memory = 1024, min = 1, max = 1, ephemeral_storage_gib = 21 }
  start_services              = var.start_services
  secret_recovery_window_days = 0
}

# ---- the app's own database on the shared server ----
#
# Made before the first migrate and dropped before terraform destroy, each by a one-off task of
# PostgreSQL's own image that connects as the server's master user (its password from RDS's
# secret, like formwork's).

resource "aws_cloudwatch_log_group" "database" {
  name              = "/formwork/${local.name}/database"
  retention_in_days = 365
  kms_key_id        = local.review.kms_key_arn
}

locals {
  psql_environment = [
    { name = "PGHOST", value = local.review.database.address },
    { name = "PGPORT", value = tostring(local.review.database.port) },
    { name = "PGUSER", value = local.review.database.username },
    { name = "PGDATABASE", value = "postgres" },
    { name = "PGSSLMODE", value = "require" },
    { name = "APP_DATABASE", value = local.database_name },
  ]
  database_scripts = {
    create = "psql -v ON_ERROR_STOP=1 -tAc \"SELECT 1 FROM pg_database WHERE datname = '$APP_DATABASE'\" | grep -q 1 || psql -v ON_ERROR_STOP=1 -c \"CREATE DATABASE $APP_DATABASE\""
    drop   = "psql -v ON_ERROR_STOP=1 -c \"DROP DATABASE IF EXISTS $APP_DATABASE WITH (FORCE)\""
  }
}

resource "aws_ecs_task_definition" "database" {
  for_each                 = local.database_scripts
  family                   = "${local.name}-${each.key}-database"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = module.service.execution_role_arn

  container_definitions = jsonencode([{
    name                   = "psql"
    image                  = var.postgres_image
    essential              = true
    user                   = "postgres"
    readonlyRootFilesystem = true
    entryPoint             = ["sh", "-c"]
    command                = [each.value]
    environment            = local.psql_environment
    secrets                = [{ name = "PGPASSWORD", valueFrom = "${local.review.database.secret_arn}:password::" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.database.name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}
