# What the mocked AWS provider answers in `terraform test` (every *.tftest.hcl loads this with
# mock_provider "aws" { source = … }): computed values shaped like AWS's — ARNs, an account, a
# region, zones, a VPC's range — where the provider checks their shape. Everything else is
# generated.

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "123456789012"
    arn        = "arn:aws:iam::123456789012:user/test"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-2"
    id   = "eu-west-2"
  }
}

mock_data "aws_partition" {
  defaults = {
    partition  = "aws"
    dns_suffix = "amazonaws.com"
  }
}

mock_data "aws_availability_zones" {
  defaults = {
    names    = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
    zone_ids = ["euw2-az1", "euw2-az2", "euw2-az3"]
  }
}

mock_data "aws_elb_service_account" {
  defaults = {
    arn = "arn:aws:iam::652711504416:root"
  }
}

mock_data "aws_vpc" {
  defaults = {
    cidr_block = "10.20.0.0/16"
  }
}

mock_data "aws_ec2_managed_prefix_list" {
  defaults = {
    id = "pl-93a247fa"
  }
}

mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::123456789012:role/test"
  }
}

mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }
}

mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
  }
}

mock_resource "aws_s3_bucket" {
  defaults = {
    arn                = "arn:aws:s3:::test-bucket"
    bucket_domain_name = "test-bucket.s3.amazonaws.com"
  }
}

mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:test"
  }
}

mock_resource "aws_cloudwatch_log_group" {
  defaults = {
    arn = "arn:aws:logs:eu-west-2:123456789012:log-group:test"
  }
}

mock_resource "aws_sfn_state_machine" {
  defaults = {
    arn = "arn:aws:states:eu-west-2:123456789012:stateMachine:test"
  }
}

mock_resource "aws_ecs_cluster" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-2:123456789012:cluster/test"
  }
}

mock_resource "aws_ecs_service" {
  defaults = {
    id = "arn:aws:ecs:eu-west-2:123456789012:service/test/test"
  }
}

mock_resource "aws_ecs_task_definition" {
  defaults = {
    arn = "arn:aws:ecs:eu-west-2:123456789012:task-definition/test:1"
  }
}

mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-west-2:123456789012:repository/test"
    repository_url = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/test"
  }
}

mock_resource "aws_lb" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/app/test/0123456789abcdef"
    arn_suffix = "app/test/0123456789abcdef"
    dns_name   = "test-123.eu-west-2.elb.amazonaws.com"
    zone_id    = "ZHURV8PSTC4K8"
  }
}

mock_resource "aws_lb_listener" {
  defaults = {
    arn = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/test/0123456789abcdef/0123456789abcdef"
  }
}

mock_resource "aws_lb_target_group" {
  defaults = {
    arn        = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/test/0123456789abcdef"
    arn_suffix = "targetgroup/test/0123456789abcdef"
  }
}

mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-2:123456789012:test"
  }
}

# Certificates for the names the tests use (a name's validation record is looked up by it).
mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
    domain_validation_options = [
      {
        domain_name           = "returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
      {
        domain_name           = "origin.returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.origin.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
      {
        domain_name           = "staging.returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.staging.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
      {
        domain_name           = "origin.staging.returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.origin.staging.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
      {
        domain_name           = "dev.returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.dev.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
      {
        domain_name           = "origin.dev.returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.origin.dev.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      },
      {
        domain_name           = "*.review.returns.example.gov.uk"
        resource_record_name  = "_0123456789abcdef.review.returns.example.gov.uk."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }
    ]
  }
}

mock_resource "aws_acm_certificate_validation" {
  defaults = {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }
}

mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/test/00000000-0000-0000-0000-000000000000"
  }
}

mock_resource "aws_cloudfront_distribution" {
  defaults = {
    domain_name    = "d111111abcdef8.cloudfront.net"
    hosted_zone_id = "Z2FDTNDATAQYW2"
  }
}

mock_resource "aws_vpc" {
  defaults = {
    cidr_block = "10.20.0.0/16"
  }
}

mock_resource "aws_db_instance" {
  defaults = {
    address = "formwork.abcdefghijkl.eu-west-2.rds.amazonaws.com"
    port    = 5432
    master_user_secret = [{
      secret_arn    = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-test"
      kms_key_id    = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
      secret_status = "active"
    }]
  }
}
