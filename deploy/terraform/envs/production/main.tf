# production: three zones with a NAT gateway each, PostgreSQL with a standby in another zone and
# deletion protection, 30 days of point-in-time recovery, and room to scale (docs/deployment.md,
# scaling).
module "formwork" {
  source = "../../modules/environment"

  name                 = "formwork-production"
  domain_name          = var.domain_name
  zone_id              = var.zone_id
  image_tag            = var.image_tag
  migrate_image_tag    = var.migrate_image_tag
  start_services       = var.start_services
  cidr_block           = "10.30.0.0/16"
  zones                = 3
  nat_gateway_per_zone = true
  interface_endpoints  = true
  deletion_protection  = true
  force_destroy        = false

  database = {
    instance_class           = "db.m7g.large"
    allocated_storage_gb     = 100
    max_allocated_storage_gb = 1000
    multi_az                 = true
    backup_retention_days    = 30
  }
  web    = { cpu = 1024, memory = 2048, min = 2, max = 10 }
  worker = { cpu = 2048, memory = 4096, min = 2, max = 6 }

  mail_from               = var.mail_from
  organisation_name       = var.organisation_name
  oidc                    = var.oidc
  alarm_emails            = var.alarm_emails
  ci_subjects             = var.ci_subjects
  ci_create_oidc_provider = var.ci_create_oidc_provider
  max_upload_bytes        = local.max_upload_bytes
}

# The edge, in us-east-1: the web application firewall, then CloudFront with its certificate.
module "waf" {
  source           = "../../modules/waf"
  providers        = { aws = aws.us_east_1 }
  name             = "formwork-production"
  max_upload_bytes = local.max_upload_bytes
}

module "cdn" {
  source                  = "../../modules/cdn"
  providers               = { aws = aws.us_east_1 }
  name                    = "formwork-production"
  aliases                 = [var.domain_name]
  zone_id                 = var.zone_id
  origin_domain_name      = module.formwork.origin_domain_name
  origin_header           = module.formwork.origin_header
  web_acl_arn             = module.waf.web_acl_arn
  logs_bucket_domain_name = module.formwork.logs_bucket_domain_name
}

locals {
  # MAX_UPLOAD_BYTES: formwork's limit, and the firewall's size rule.
  max_upload_bytes = 52428800
}
