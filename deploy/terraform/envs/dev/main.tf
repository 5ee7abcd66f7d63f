# dev: the smallest environment that is still the real thing — one NAT gateway, a small database
# without a standby, one task of each, and everything removable.
module "formwork" {
  source = "../../modules/environment"

  name                 = "formwork-dev"
  domain_name          = var.domain_name
  zone_id              = var.zone_id
  image_tag            = var.image_tag
  migrate_image_tag    = var.migrate_image_tag
  start_services       = var.start_services
  cidr_block           = "10.10.0.0/16"
  zones                = 2
  nat_gateway_per_zone = false
  interface_endpoints  = false
  deletion_protection  = false
  force_destroy        = true

  database = {
    instance_class        = "db.t4g.micro"
    multi_az              = false
    backup_retention_days = 7
  }
  web    = { cpu = 256, memory = 512, min = 1, max = 2 }
  worker = { cpu = 512, memory = 1024, min = 1, max = 2 }

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
  name             = "formwork-dev"
  max_upload_bytes = local.max_upload_bytes
}

module "cdn" {
  source                  = "../../modules/cdn"
  providers               = { aws = aws.us_east_1 }
  name                    = "formwork-dev"
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
