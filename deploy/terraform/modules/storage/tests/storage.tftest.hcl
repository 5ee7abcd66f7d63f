# The files bucket is private, encrypted with the environment's key, versioned, reachable over
# TLS only, and cleans up after formwork's exports and unfinished uploads.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name     = "formwork-test"
  prefixes = ["formwork"]
}

run "files_are_private_and_encrypted" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.files.block_public_acls,
      aws_s3_bucket_public_access_block.files.block_public_policy,
      aws_s3_bucket_public_access_block.files.ignore_public_acls,
      aws_s3_bucket_public_access_block.files.restrict_public_buckets,
    ])
    error_message = "The files bucket must block every kind of public access."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.files.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "The files bucket must have ACLs disabled."
  }

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_server_side_encryption_configuration.files.rule :
      one(rule.apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" &&
      one(rule.apply_server_side_encryption_by_default).kms_master_key_id == aws_kms_key.this.arn
    ])
    error_message = "The files bucket must be encrypted with the environment's KMS key (SSE-KMS)."
  }

  assert {
    condition     = aws_s3_bucket_versioning.files.versioning_configuration[0].status == "Enabled"
    error_message = "The files bucket must be versioned, for restores."
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "The key must rotate."
  }
}

run "files_are_reached_over_tls_only" {
  command = plan

  assert {
    condition = anytrue([
      for statement in jsondecode(aws_s3_bucket_policy.files.policy).Statement :
      statement.Effect == "Deny" && statement.Principal == "*" && statement.Action == "s3:*" &&
      statement.Condition == { Bool = { "aws:SecureTransport" = "false" } }
    ])
    error_message = "The files bucket's policy must refuse every request without TLS."
  }
}

run "lifecycle_rules_clean_up_after_formwork" {
  command = plan

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.files.rule :
      try(one(rule.abort_incomplete_multipart_upload).days_after_initiation == 1, false)
    ])
    error_message = "Unfinished multipart uploads must be removed after a day."
  }

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.files.rule :
      try(one(rule.filter).prefix == "formwork/exports/" && one(rule.expiration).days == 7, false)
    ])
    error_message = "Exports left behind must expire."
  }

  assert {
    condition = anytrue([
      for rule in aws_s3_bucket_lifecycle_configuration.files.rule :
      try(one(rule.filter).prefix == "formwork/uploads/" && one(rule.transition).storage_class == "STANDARD_IA", false)
    ])
    error_message = "Uploads must move to infrequent access."
  }
}

run "access_logs_are_private_and_encrypted" {
  command = plan

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.logs.block_public_acls,
      aws_s3_bucket_public_access_block.logs.block_public_policy,
      aws_s3_bucket_public_access_block.logs.ignore_public_acls,
      aws_s3_bucket_public_access_block.logs.restrict_public_buckets,
    ])
    error_message = "The logs bucket must block every kind of public access."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.logs.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "The logs bucket must be encrypted (SSE-S3: the load balancer's logs allow no other)."
  }
}
