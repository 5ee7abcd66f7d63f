# What the review apps share: a network, one small PostgreSQL server (each app has its own
# database on it), one bucket (each app its own prefix), one ECS cluster, one load balancer and
# one CloudFront distribution for *.REVIEW_DOMAIN, which sends each request's Host header on so
# that the load balancer can route it to its app. Each change's app is envs/review-app, with a
# state of its own, made when the change opens and destroyed when it closes.

locals {
  name = "formwork-review"
}

module "storage" {
  source                    = "../../modules/storage"
  name                      = local.name
  prefixes                  = []
  expire_objects_after_days = 30
  noncurrent_version_days   = 7
  log_retention_days        = 90
  force_destroy             = true
  kms_deletion_window_days  = 7
}

module "network" {
  source      = "../../modules/network"
  name        = local.name
  cidr_block  = "10.40.0.0/16"
  zones       = 2
  kms_key_arn = module.storage.kms_key_arn
}

module "database" {
  source                = "../../modules/database"
  name                  = local.name
  vpc_id                = module.network.vpc_id
  subnet_ids            = module.network.private_subnet_ids
  kms_key_arn           = module.storage.kms_key_arn
  instance_class        = "db.t4g.small"
  multi_az              = false
  deletion_protection   = false
  backup_retention_days = 7
}

module "load_balancer" {
  source                   = "../../modules/load-balancer"
  name                     = local.name
  vpc_id                   = module.network.vpc_id
  public_subnet_ids        = module.network.public_subnet_ids
  zone_id                  = var.zone_id
  origin_domain_name       = "origin.${var.domain_name}"
  certificate_domain_names = ["*.${var.domain_name}"]
  logs_bucket              = module.storage.logs_bucket
  deletion_protection      = false
  kms_key_arn              = module.storage.kms_key_arn
  # Review apps come and go: their secrets go with them.
  secret_recovery_window_days = 0
}

module "waf" {
  source           = "../../modules/waf"
  providers        = { aws = aws.us_east_1 }
  name             = local.name
  max_upload_bytes = var.max_upload_bytes
}

module "cdn" {
  source                  = "../../modules/cdn"
  providers               = { aws = aws.us_east_1 }
  name                    = local.name
  aliases                 = ["*.${var.domain_name}"]
  zone_id                 = var.zone_id
  origin_domain_name      = module.load_balancer.origin_domain_name
  origin_header           = module.load_balancer.origin_header
  forward_host_header     = true
  web_acl_arn             = module.waf.web_acl_arn
  logs_bucket_domain_name = module.storage.logs_bucket_domain_name
}

resource "aws_ecs_cluster" "this" {
  name = local.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecr_repository" "this" {
  name                 = local.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = module.storage.kms_key_arn
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Review images are removed after two weeks"
      selection    = { tagStatus = "any", countType = "sinceImagePushed", countUnit = "days", countNumber = 14 }
      action       = { type = "expire" }
    }]
  })
}

module "alarms" {
  source      = "../../modules/alarms"
  name        = local.name
  kms_key_arn = module.storage.kms_key_arn
  emails      = var.alarm_emails
  database    = { instance_id = module.database.instance_id }
}

module "ci_access" {
  source               = "../../modules/ci-access"
  count                = length(var.ci_subjects) > 0 ? 1 : 0
  name                 = local.name
  subjects             = var.ci_subjects
  create_oidc_provider = var.ci_create_oidc_provider
}
