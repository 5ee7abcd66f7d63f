# The load balancer can be reached only from CloudFront: its security group admits CloudFront's
# origin-facing prefix list alone, its listener refuses what no service's rule forwards, and
# /metrics is answered 404 before any service sees it.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name                     = "formwork-test"
  vpc_id                   = "vpc-0123456789"
  public_subnet_ids        = ["subnet-a", "subnet-b"]
  zone_id                  = "Z0123456789EXAMPLE"
  origin_domain_name       = "origin.returns.example.gov.uk"
  certificate_domain_names = ["origin.returns.example.gov.uk"]
  logs_bucket              = "formwork-test-logs"
  kms_key_arn              = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
}

run "only_cloudfront_reaches_the_load_balancer" {
  command = plan

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.cloudfront.prefix_list_id == data.aws_ec2_managed_prefix_list.cloudfront.id &&
      data.aws_ec2_managed_prefix_list.cloudfront.name == "com.amazonaws.global.cloudfront.origin-facing" &&
      aws_vpc_security_group_ingress_rule.cloudfront.cidr_ipv4 == null &&
      aws_vpc_security_group_ingress_rule.cloudfront.cidr_ipv6 == null &&
      aws_vpc_security_group_ingress_rule.cloudfront.from_port == 443
    )
    error_message = "The load balancer's one ingress rule must admit CloudFront's origin-facing prefix list on 443, and no address range."
  }

  assert {
    condition = (
      one(aws_lb_listener.https.default_action).type == "fixed-response" &&
      one(one(aws_lb_listener.https.default_action).fixed_response).status_code == "403"
    )
    error_message = "A request no service's rule forwards (no CloudFront header) must be answered 403."
  }

  assert {
    condition     = aws_lb_listener.https.protocol == "HTTPS" && startswith(aws_lb_listener.https.ssl_policy, "ELBSecurityPolicy-TLS13")
    error_message = "The listener must be HTTPS with a TLS 1.3 policy."
  }

  assert {
    condition     = aws_lb.this.drop_invalid_header_fields
    error_message = "The load balancer must drop invalid headers."
  }

  assert {
    condition     = output.origin_header.name == "X-Origin-Verify"
    error_message = "The origin header is X-Origin-Verify (its value: modules/generated-secret)."
  }
}

run "metrics_is_not_public" {
  command = plan

  assert {
    condition = (
      aws_lb_listener_rule.metrics.priority == 1 &&
      one(aws_lb_listener_rule.metrics.action).type == "fixed-response" &&
      one(one(aws_lb_listener_rule.metrics.action).fixed_response).status_code == "404" &&
      contains(one(one(aws_lb_listener_rule.metrics.condition).path_pattern).values, "/metrics")
    )
    error_message = "/metrics must be answered 404 by the listener's first rule, before any service's."
  }
}
