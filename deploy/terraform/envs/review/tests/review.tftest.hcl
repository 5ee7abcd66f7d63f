# What the review apps share: one private, encrypted PostgreSQL server that may be torn down, and
# one CloudFront distribution for *.REVIEW_DOMAIN that passes the Host header on, so that the
# shared load balancer can tell the apps apart.

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
  domain_name = "review.returns.example.gov.uk"
  zone_id     = "Z0123456789EXAMPLE"
}

run "review_is_shared_and_private" {
  command = plan

  assert {
    condition     = output.database_protection.storage_encrypted && !output.database_protection.publicly_accessible
    error_message = "The shared server must be encrypted and private."
  }

  assert {
    condition     = !output.database_protection.deletion_protection
    error_message = "The review server can be torn down."
  }

  assert {
    condition     = output.domain_name == "review.returns.example.gov.uk"
    error_message = "Review apps live under the review domain."
  }

  assert {
    condition     = output.storage.bucket == "formwork-review-files-123456789012"
    error_message = "The apps share the review bucket."
  }
}
