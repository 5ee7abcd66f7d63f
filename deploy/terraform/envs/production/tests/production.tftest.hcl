# Production as its root builds it: PostgreSQL encrypted, private, with a standby, deletion
# protection and 30 days of point-in-time recovery; formwork configured for it.

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
  domain_name = "returns.example.gov.uk"
  zone_id     = "Z0123456789EXAMPLE"
  image_tag   = "v2"
  mail_from   = "Returns <no-reply@returns.example.gov.uk>"
  ci_subjects = ["repo:example/formwork:environment:production"]
}

run "production_is_protected_and_configured" {
  command = plan

  assert {
    condition     = output.database_protection.deletion_protection && output.database_protection.final_snapshot
    error_message = "Production's database must refuse deletion, and leave a final snapshot."
  }

  assert {
    condition     = output.database_protection.multi_az
    error_message = "Production's database must have a standby in another zone."
  }

  assert {
    condition     = output.database_protection.storage_encrypted && !output.database_protection.publicly_accessible
    error_message = "Production's database must be encrypted and private."
  }

  assert {
    condition     = output.database_protection.backup_retention_days >= 30
    error_message = "Production keeps 30 days of point-in-time recovery."
  }


  assert {
    condition     = output.web_environment.BASE_URL == "https://returns.example.gov.uk"
    error_message = "BASE_URL is the service's https address."
  }

  assert {
    condition     = startswith(output.web_environment.STORAGE_URL, "s3://formwork-production-files-")
    error_message = "STORAGE_URL is production's own bucket."
  }

  assert {
    condition     = output.web_environment.DATABASE_URL == "postgres://formwork@formwork.abcdefghijkl.eu-west-2.rds.amazonaws.com:5432/formwork?sslmode=require"
    error_message = "DATABASE_URL holds no password."
  }

  assert {
    condition     = output.web_environment.MAX_UPLOAD_BYTES == "52428800"
    error_message = "formwork's MAX_UPLOAD_BYTES is the firewall's."
  }

  assert {
    condition     = output.ci_role_arn != null
    error_message = "The CI role exists when subjects are given."
  }
}
