# One change's app: its own database on the shared server, its own prefix of the shared bucket,
# its own host name on the shared load balancer, and no SMTP relay.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

# What envs/review's state holds.
override_data {
  target = data.terraform_remote_state.review
  values = {
    outputs = {
      domain_name        = "review.returns.example.gov.uk"
      vpc_id             = "vpc-0123456789"
      private_subnet_ids = ["subnet-a", "subnet-b"]
      cluster_arn        = "arn:aws:ecs:eu-west-2:123456789012:cluster/formwork-review"
      cluster_name       = "formwork-review"
      repository_url     = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/formwork-review"
      load_balancer = {
        listener_arn      = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:listener/app/formwork-review/0123456789abcdef/0123456789abcdef"
        security_group_id = "sg-alb"
        arn_suffix        = "app/formwork-review/0123456789abcdef"
      }
      origin_header = { name = "X-Origin-Verify", value = "the-origin-secret" }
      database = {
        address            = "formwork-review.abcdefghijkl.eu-west-2.rds.amazonaws.com"
        port               = 5432
        username           = "formwork"
        secret_arn         = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-review"
        secret_kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
        security_group_id  = "sg-db"
      }
      storage = {
        bucket      = "formwork-review-files-123456789012"
        bucket_arn  = "arn:aws:s3:::formwork-review-files-123456789012"
        kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
      }
      kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }
}

variables {
  change                 = "pr-42"
  listener_rule_priority = 142
  state_bucket           = "formwork-terraform-state-123456789012"
  image_tag              = "pr-42-abc1234"
}

run "the_app_has_its_own_database_prefix_and_host" {
  command = plan

  assert {
    condition     = output.base_url == "https://pr-42.review.returns.example.gov.uk"
    error_message = "The app answers at its own host name."
  }

  assert {
    condition     = output.web_environment.DATABASE_URL == "postgres://formwork@formwork-review.abcdefghijkl.eu-west-2.rds.amazonaws.com:5432/review_pr_42?sslmode=require"
    error_message = "The app has its own database on the shared server, and DATABASE_URL no password."
  }

  assert {
    condition     = output.web_environment.STORAGE_URL == "s3://formwork-review-files-123456789012/formwork-review-pr-42"
    error_message = "The app has its own prefix of the shared bucket."
  }

  assert {
    condition     = output.web_environment.MAIL_DIR == "/tmp/mail" && !contains(keys(output.web_environment), "SMTP_URL")
    error_message = "Review apps send no email: they write it under /tmp."
  }

  assert {
    condition     = strcontains(jsondecode(aws_ecs_task_definition.database["create"].container_definitions)[0].command[0], "CREATE DATABASE $APP_DATABASE")
    error_message = "A one-off task makes the app's database."
  }

  assert {
    condition     = contains(jsondecode(aws_ecs_task_definition.database["create"].container_definitions)[0].environment, { name = "APP_DATABASE", value = "review_pr_42" })
    error_message = "The one-off task makes the app's own database."
  }
}

run "a_change_name_must_fit_a_host_name" {
  command = plan
  variables {
    change = "PR 42"
  }
  expect_failures = [var.change]
}
