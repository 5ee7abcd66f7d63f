# CloudFront in front of the load balancer: the service's public name, TLS, the web application
# firewall, `/assets/*` cached for as long as formwork says (a year for its fingerprinted files),
# and everything else passed through uncached. Each request to the origin carries the secret
# header the load balancer requires (modules/load-balancer), so that the load balancer cannot be
# used directly.
#
# CloudFront's certificate must be in us-east-1: give this module that region's provider.

# ---- the certificate ----

resource "aws_acm_certificate" "this" {
  domain_name               = var.aliases[0]
  subject_alternative_names = slice(var.aliases, 1, length(var.aliases))
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
  for_each        = toset(var.aliases)
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

# ---- the distribution ----

data "aws_cloudfront_cache_policy" "disabled" {
  name = "Managed-CachingDisabled"
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

# Everything the viewer sent (cookies, query strings, headers) reaches formwork. Review apps
# forward the Host header too: the shared load balancer tells them apart by it.
data "aws_cloudfront_origin_request_policy" "all_viewer" {
  name = var.forward_host_header ? "Managed-AllViewer" : "Managed-AllViewerExceptHostHeader"
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_305:formwork answers / itself (the home page, or sign-in): there is no static index object
  #checkov:skip=CKV_AWS_310:One origin: a second region's failover is not part of this design (docs/deployment.md)
  #checkov:skip=CKV_AWS_374:Organisations answer from wherever their people are; no country is refused
  #checkov:skip=CKV2_AWS_32:formwork sets its own security headers (Content-Security-Policy, HSTS, X-Frame-Options, …) on every response
  #checkov:skip=CKV2_AWS_47:The attached web ACL includes AWSManagedRulesKnownBadInputsRuleSet (modules/waf); checkov cannot see across modules
  comment         = var.name
  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  aliases         = var.aliases
  price_class     = var.price_class
  web_acl_id      = var.web_acl_arn

  origin {
    origin_id   = "load-balancer"
    domain_name = var.origin_domain_name

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      # An upload is checked by a job after it is stored, so its request ends within a minute.
      origin_read_timeout      = 60
      origin_keepalive_timeout = 5
    }

    custom_header {
      name  = var.origin_header.name
      value = var.origin_header.value
    }
  }

  # Pages, forms, uploads and the API: never cached.
  default_cache_behavior {
    target_origin_id         = "load-balancer"
    viewer_protocol_policy   = "redirect-to-https"
    allowed_methods          = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
    cached_methods           = ["GET", "HEAD"]
    cache_policy_id          = data.aws_cloudfront_cache_policy.disabled.id
    origin_request_policy_id = data.aws_cloudfront_origin_request_policy.all_viewer.id
    compress                 = true
  }

  # GOV.UK Frontend and formwork's own files: cached as long as their Cache-Control says (a year
  # for fingerprinted files, a day for fonts and images), without cookies or query strings.
  ordered_cache_behavior {
    path_pattern           = "/assets/*"
    target_origin_id       = "load-balancer"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = data.aws_cloudfront_cache_policy.optimized.id
    compress               = true
  }

  viewer_certificate {
    acm_certificate_arn      = aws_acm_certificate_validation.this.certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  logging_config {
    bucket          = var.logs_bucket_domain_name
    prefix          = "cloudfront/"
    include_cookies = false
  }
}

resource "aws_route53_record" "alias" {
  for_each = toset(flatten([for name in var.aliases : [for type in ["A", "AAAA"] : "${name} ${type}"]]))
  zone_id  = var.zone_id
  name     = split(" ", each.key)[0]
  type     = split(" ", each.key)[1]
  alias {
    name                   = aws_cloudfront_distribution.this.domain_name
    zone_id                = aws_cloudfront_distribution.this.hosted_zone_id
    evaluate_target_health = false
  }
}
