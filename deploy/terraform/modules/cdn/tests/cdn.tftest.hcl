# CloudFront sends the load balancer's secret header, caches /assets/* and nothing else, and
# speaks only HTTPS to viewers and to the origin.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name                    = "formwork-test"
  aliases                 = ["returns.example.gov.uk"]
  zone_id                 = "Z0123456789EXAMPLE"
  origin_domain_name      = "origin.returns.example.gov.uk"
  origin_header           = { name = "X-Origin-Verify", value = "the-origin-secret" }
  web_acl_arn             = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/test/00000000-0000-0000-0000-000000000000"
  logs_bucket_domain_name = "formwork-test-logs.s3.amazonaws.com"
}

run "the_origin_gets_the_secret_header_over_https" {
  command = plan

  assert {
    condition = (
      one(one(aws_cloudfront_distribution.this.origin).custom_header).name == "X-Origin-Verify" &&
      one(one(aws_cloudfront_distribution.this.origin).custom_header).value == "the-origin-secret"
    )
    error_message = "CloudFront must send the load balancer's secret header."
  }

  assert {
    condition     = one(one(aws_cloudfront_distribution.this.origin).custom_origin_config).origin_protocol_policy == "https-only"
    error_message = "CloudFront must reach the load balancer over HTTPS only."
  }

  assert {
    condition     = aws_cloudfront_distribution.this.web_acl_id == var.web_acl_arn
    error_message = "The web application firewall must be attached."
  }
}

run "only_assets_are_cached" {
  command = plan

  assert {
    condition     = one(aws_cloudfront_distribution.this.default_cache_behavior).cache_policy_id == data.aws_cloudfront_cache_policy.disabled.id && data.aws_cloudfront_cache_policy.disabled.name == "Managed-CachingDisabled"
    error_message = "Pages, forms and the API must never be cached."
  }

  assert {
    condition = (
      one(aws_cloudfront_distribution.this.ordered_cache_behavior).path_pattern == "/assets/*" &&
      one(aws_cloudfront_distribution.this.ordered_cache_behavior).cache_policy_id == data.aws_cloudfront_cache_policy.optimized.id &&
      data.aws_cloudfront_cache_policy.optimized.name == "Managed-CachingOptimized"
    )
    error_message = "/assets/* must be cached (as long as formwork's Cache-Control says)."
  }

  assert {
    condition = alltrue([
      one(aws_cloudfront_distribution.this.default_cache_behavior).viewer_protocol_policy == "redirect-to-https",
      one(aws_cloudfront_distribution.this.ordered_cache_behavior).viewer_protocol_policy == "redirect-to-https",
      one(aws_cloudfront_distribution.this.viewer_certificate).minimum_protocol_version == "TLSv1.2_2021",
    ])
    error_message = "Viewers must use HTTPS, TLS 1.2 at least."
  }
}
