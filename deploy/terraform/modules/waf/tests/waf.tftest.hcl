# The firewall has AWS's managed rule groups, a rate limit and a body-size rule that lets uploads
# up to MAX_UPLOAD_BYTES through; /metrics is refused at the edge too.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name             = "formwork-test"
  max_upload_bytes = 52428800
}

run "managed_rules_rate_limit_and_upload_size" {
  command = plan

  assert {
    condition = alltrue([
      for group in ["AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesSQLiRuleSet"] :
      contains([for rule in aws_wafv2_web_acl.this.rule : rule.name], group)
    ])
    error_message = "The four managed rule groups must be there."
  }

  assert {
    condition = anytrue([
      for rule in aws_wafv2_web_acl.this.rule :
      try(one(one(rule.statement).rate_based_statement).aggregate_key_type == "IP", false)
    ])
    error_message = "There must be a rate limit per address."
  }

  assert {
    condition = anytrue([
      for rule in aws_wafv2_web_acl.this.rule :
      try(rule.name == "AWSManagedRulesCommonRuleSet" &&
      contains([for override in one(one(rule.statement).managed_rule_group_statement).rule_action_override : override.name], "SizeRestrictions_BODY"), false)
    ])
    error_message = "SizeRestrictions_BODY (8 KB) must only count, or no upload gets through."
  }

  assert {
    condition = anytrue([
      for rule in aws_wafv2_web_acl.this.rule :
      try(rule.name == "body-too-large" && one(one(rule.statement).size_constraint_statement).size == 8, false)
    ])
    error_message = "A Content-Length of more digits than MAX_UPLOAD_BYTES (8) must be refused."
  }

  assert {
    condition = anytrue([
      for rule in aws_wafv2_web_acl.this.rule :
      try(rule.name == "metrics-is-internal" && one(one(rule.statement).byte_match_statement).search_string == "/metrics", false)
    ])
    error_message = "/metrics must be refused at the edge."
  }
}
