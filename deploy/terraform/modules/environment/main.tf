# One whole environment of formwork in its region — network, key and buckets, PostgreSQL, load
# balancer, the services, alarms and the CI role — wired together, so that envs/dev, envs/staging
# and envs/production differ only in their variables. Its edge in us-east-1 (modules/waf and
# modules/cdn, CloudFront's firewall and certificate) is called beside it by each root.
#
#   people ─ CloudFront (WAF) ─ load balancer (CloudFront only) ─ web tasks ─┬─ PostgreSQL (RDS)
#                                                     worker tasks ─────────┴─ S3 (files)

module "storage" {
  source        = "../storage"
  name          = var.name
  prefixes      = [local.storage_prefix]
  force_destroy = var.force_destroy
}

module "network" {
  source               = "../network"
  name                 = var.name
  cidr_block           = var.cidr_block
  zones                = var.zones
  nat_gateway_per_zone = var.nat_gateway_per_zone
  interface_endpoints  = var.interface_endpoints
  kms_key_arn          = module.storage.kms_key_arn
}

module "database" {
  source                   = "../database"
  name                     = var.name
  vpc_id                   = module.network.vpc_id
  subnet_ids               = module.network.private_subnet_ids
  kms_key_arn              = module.storage.kms_key_arn
  instance_class           = var.database.instance_class
  allocated_storage_gb     = var.database.allocated_storage_gb
  max_allocated_storage_gb = var.database.max_allocated_storage_gb
  multi_az                 = var.database.multi_az
  deletion_protection      = var.deletion_protection
  backup_retention_days    = var.database.backup_retention_days
  performance_insights     = var.database.performance_insights
}

module "load_balancer" {
  source                   = "../load-balancer"
  name                     = var.name
  vpc_id                   = module.network.vpc_id
  public_subnet_ids        = module.network.public_subnet_ids
  zone_id                  = var.zone_id
  origin_domain_name       = "origin.${var.domain_name}"
  certificate_domain_names = ["origin.${var.domain_name}"]
  logs_bucket              = module.storage.logs_bucket
  deletion_protection      = var.deletion_protection
  kms_key_arn              = module.storage.kms_key_arn
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecr_repository" "this" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_destroy
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
      description  = "Keep the last 50 images (releases to roll back to)"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 50 }
      action       = { type = "expire" }
    }]
  })
}

locals {
  storage_prefix = "formwork"
}

module "service" {
  source        = "../service"
  name          = var.name
  image         = "${aws_ecr_repository.this.repository_url}:${var.image_tag}"
  migrate_image = "${aws_ecr_repository.this.repository_url}:${coalesce(var.migrate_image_tag, var.image_tag)}"
  cluster_arn   = aws_ecs_cluster.this.arn
  cluster_name  = aws_ecs_cluster.this.name
  vpc_id        = module.network.vpc_id
  subnet_ids    = module.network.private_subnet_ids
  load_balancer = {
    listener_arn      = module.load_balancer.listener_arn
    rule_priority     = 100
    security_group_id = module.load_balancer.security_group_id
    arn_suffix        = module.load_balancer.arn_suffix
  }
  origin_header = module.load_balancer.origin_header
  database = {
    address            = module.database.address
    port               = module.database.port
    name               = module.database.database_name
    username           = module.database.username
    secret_arn         = module.database.master_secret_arn
    secret_kms_key_arn = module.storage.kms_key_arn
    security_group_id  = module.database.security_group_id
  }
  storage = {
    bucket      = module.storage.files_bucket
    bucket_arn  = module.storage.files_bucket_arn
    prefix      = local.storage_prefix
    kms_key_arn = module.storage.kms_key_arn
  }
  kms_key_arn       = module.storage.kms_key_arn
  base_url          = "https://${var.domain_name}"
  service_name      = var.service_name
  brand             = var.brand
  organisation_name = var.organisation_name
  mail_from         = var.mail_from
  oidc              = var.oidc
  max_upload_bytes  = var.max_upload_bytes
  web               = var.web
  worker            = var.worker
  start_services    = var.start_services
}

module "alarms" {
  source      = "../alarms"
  name        = var.name
  kms_key_arn = module.storage.kms_key_arn
  emails      = var.alarm_emails
  web = {
    load_balancer_arn_suffix = module.load_balancer.arn_suffix
    target_group_arn_suffix  = module.service.target_group_arn_suffix
    cluster_arn              = aws_ecs_cluster.this.arn
    service_names            = [module.service.web_service_name, module.service.worker_service_name]
  }
  metrics_namespace = module.service.metrics_namespace
  database          = { instance_id = module.database.instance_id }
}

module "ci_access" {
  source               = "../ci-access"
  count                = length(var.ci_subjects) > 0 ? 1 : 0
  name                 = var.name
  subjects             = var.ci_subjects
  create_oidc_provider = var.ci_create_oidc_provider
}
