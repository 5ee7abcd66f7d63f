# dev as its root builds it: the whole graph applies (with AWS mocked), PostgreSQL is encrypted
# and private, and it can be torn down (no deletion protection).

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

mock_provider "aws" {
  alias           = "us_east_1"
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  domain_name = "dev.returns.example.gov.uk"
  zone_id     = "Z0123456789EXAMPLE"
  image_tag   = "v2"
  mail_from   = "Returns <no-reply@returns.example.gov.uk>"
}

run "dev_applies_and_is_private" {
  command = plan

  assert {
    condition     = output.database_protection.storage_encrypted && !output.database_protection.publicly_accessible
    error_message = "The database must be encrypted and private."
  }

  assert {
    condition     = !output.database_protection.deletion_protection && output.database_protection.final_snapshot
    error_message = "dev can be destroyed, leaving a final snapshot."
  }

  assert {
    condition     = output.web_environment.BASE_URL == "https://dev.returns.example.gov.uk"
    error_message = "BASE_URL is the environment's https address."
  }

  assert {
    condition     = output.ci_role_arn == null
    error_message = "No CI role without subjects."
  }
}
