# The web application firewall on CloudFront (so this module runs in us-east-1: give it that
# provider). AWS's managed rule groups — common, known bad inputs, IP reputation, SQL injection —
# a limit on each address's requests, and a body-size rule that lets uploads up to
# MAX_UPLOAD_BYTES through.
#
# Body size: the common rule set's SizeRestrictions_BODY blocks any body over 8 KB, which would
# refuse every upload, so it only counts here. WAF reads at most the first 16 KB of a body behind
# CloudFront and cannot measure a larger one; instead, the body-too-large rule refuses a request
# whose Content-Length header has more digits than MAX_UPLOAD_BYTES (for 52428800, eight: any
# body of 100,000,000 bytes or more). formwork itself answers 413 to anything over the exact
# limit, before reading it.

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "formwork ${var.name}: managed rules, a rate limit and the upload size"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "metrics-is-internal"
    priority = 1
    action {
      block {}
    }
    statement {
      byte_match_statement {
        search_string         = "/metrics"
        positional_constraint = "STARTS_WITH"
        field_to_match {
          uri_path {}
        }
        text_transformation {
          priority = 0
          type     = "URL_DECODE"
        }
        text_transformation {
          priority = 1
          type     = "LOWERCASE"
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-metrics-is-internal"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit"
    priority = 2
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit                 = var.requests_per_five_minutes
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "body-too-large"
    priority = 3
    action {
      block {}
    }
    statement {
      size_constraint_statement {
        comparison_operator = "GT"
        size                = length(tostring(var.max_upload_bytes))
        field_to_match {
          single_header {
            name = "content-length"
          }
        }
        text_transformation {
          priority = 0
          type     = "NONE"
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-body-too-large"
      sampled_requests_enabled   = true
    }
  }

  # Addresses AWS has seen attacking.
  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
        dynamic "rule_action_override" {
          for_each = lookup(var.count_only_rules, "AWSManagedRulesAmazonIpReputationList", [])
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }

  # The OWASP-style common rules (SizeRestrictions_BODY only counts: see above).
  rule {
    name     = "AWSManagedRulesCommonRuleSet"
    priority = 20
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
        dynamic "rule_action_override" {
          for_each = lookup(var.count_only_rules, "AWSManagedRulesCommonRuleSet", [])
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesCommonRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # Known exploit patterns, Log4j's among them.
  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        dynamic "rule_action_override" {
          for_each = lookup(var.count_only_rules, "AWSManagedRulesKnownBadInputsRuleSet", [])
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  # SQL injection.
  rule {
    name     = "AWSManagedRulesSQLiRuleSet"
    priority = 40
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesSQLiRuleSet"
        dynamic "rule_action_override" {
          for_each = lookup(var.count_only_rules, "AWSManagedRulesSQLiRuleSet", [])
          content {
            name = rule_action_override.value
            action_to_use {
              count {}
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesSQLiRuleSet"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

# WAF's log group must be named aws-waf-logs-… and be in the web ACL's region (us-east-1).
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:The environment's key is in its own region and this log group must be in us-east-1; CloudWatch Logs encrypts it with its own key
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  log_destination_configs = [aws_cloudwatch_log_group.this.arn]
  resource_arn            = aws_wafv2_web_acl.this.arn

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
