# The application load balancer in front of formwork's web tasks, reachable only from CloudFront:
# its security group admits CloudFront's origin-facing addresses alone, and its HTTPS listener
# answers 403 to any request that does not carry the secret origin header made here, which
# CloudFront is given (modules/cdn) and each service's forwarding rule requires
# (modules/service). `/metrics` is answered 404 here, before any service's rule: the metrics
# collector scrapes it inside the task (modules/service).

# ---- the secret origin header ----
#
# A random value, kept in Secrets Manager too; CloudFront's configuration and the listener's rules
# hold it. Raise origin_secret_version to make a new one (docs/deployment.md, rotating secrets).

module "origin_secret" {
  source               = "../generated-secret"
  name                 = "${var.name}/cloudfront-origin-header"
  description          = "The header value CloudFront sends and the load balancer requires"
  kms_key_arn          = var.kms_key_arn
  recovery_window_days = var.secret_recovery_window_days
  generation           = var.origin_secret_version
}

# ---- the load balancer ----

data "aws_ec2_managed_prefix_list" "cloudfront" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

resource "aws_security_group" "this" {
  name        = "${var.name}-alb"
  description = "HTTPS from CloudFront only; to the tasks on 8080"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "cloudfront" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS from CloudFront's origin-facing addresses"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = data.aws_ec2_managed_prefix_list.cloudfront.id
}

resource "aws_vpc_security_group_egress_rule" "tasks" {
  security_group_id = aws_security_group.this.id
  description       = "To the web tasks inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 8080
  to_port           = 8080
  cidr_ipv4         = data.aws_vpc.this.cidr_block
}

resource "aws_lb" "this" {
  #checkov:skip=CKV_AWS_150:Variable: production sets deletion_protection; dev, staging and review may be deleted
  #checkov:skip=CKV2_AWS_28:The web application firewall is on CloudFront (modules/waf), the only way to this load balancer
  name                       = var.name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.this.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  # An upload of MAX_UPLOAD_BYTES over a slow line sends its body for a while; formwork's own
  # BODY_READ_TIMEOUT_SECONDS limits the pauses.
  idle_timeout = 120

  access_logs {
    bucket  = var.logs_bucket
    prefix  = "alb"
    enabled = true
  }
}

resource "aws_acm_certificate" "this" {
  domain_name               = var.certificate_domain_names[0]
  subject_alternative_names = slice(var.certificate_domain_names, 1, length(var.certificate_domain_names))
  validation_method         = "DNS"
  lifecycle {
    create_before_destroy = true
  }
}

# One DNS record proves each name (keyed by the names, which are known before the certificate).
locals {
  validation = {
    for option in aws_acm_certificate.this.domain_validation_options : option.domain_name => option
  }
}

resource "aws_route53_record" "validation" {
  for_each        = toset(var.certificate_domain_names)
  zone_id         = var.zone_id
  name            = local.validation[each.key].resource_record_name
  type            = local.validation[each.key].resource_record_type
  records         = [local.validation[each.key].resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  certificate_arn         = aws_acm_certificate.this.arn
  validation_record_fqdns = [for record in aws_route53_record.validation : record.fqdn]
}

# The name CloudFront connects to (its certificate is the one above).
resource "aws_route53_record" "origin" {
  zone_id = var.zone_id
  name    = var.origin_domain_name
  type    = "A"
  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = false
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.this.certificate_arn

  # Whatever no service's rule (origin header, and host for review apps) forwards.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Forbidden"
      status_code  = "403"
    }
  }
}

# Prometheus's /metrics is for the scraper inside the task, never for the internet.
resource "aws_lb_listener_rule" "metrics" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 1

  action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "Page not found"
      status_code  = "404"
    }
  }

  condition {
    path_pattern {
      values = ["/metrics", "/metrics/*"]
    }
  }
}
