# PostgreSQL is encrypted, private, TLS only, keeps its backups and a final snapshot, and its
# password is RDS's, kept in Secrets Manager and never in Terraform's state.

mock_provider "aws" {
  source          = "../../tests/mocks"
  override_during = plan
}

variables {
  name        = "formwork-test"
  vpc_id      = "vpc-0123456789"
  subnet_ids  = ["subnet-a", "subnet-b"]
  kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
}

run "database_is_encrypted_and_private" {
  command = plan

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.kms_key_id == var.kms_key_arn
    error_message = "The database's storage must be encrypted with the environment's key."
  }

  assert {
    condition     = !aws_db_instance.this.publicly_accessible
    error_message = "The database must not be reachable from the internet."
  }

  assert {
    condition = anytrue([
      for parameter in aws_db_parameter_group.this.parameter : parameter.name == "rds.force_ssl" && parameter.value == "1"
    ])
    error_message = "PostgreSQL must refuse connections without TLS (rds.force_ssl)."
  }
}

run "password_is_managed_by_rds" {
  command = plan

  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.password == null
    error_message = "RDS must make and keep the master password in Secrets Manager; Terraform never sees it."
  }

  assert {
    condition     = aws_db_instance.this.master_user_secret_kms_key_id == var.kms_key_arn
    error_message = "The password's secret must be encrypted with the environment's key."
  }

  assert {
    condition     = output.master_secret_arn == "arn:aws:secretsmanager:eu-west-2:123456789012:secret:rds!db-test"
    error_message = "The module must give the services RDS's secret."
  }
}

run "backups_and_final_snapshot_are_kept" {
  command = plan

  assert {
    condition     = aws_db_instance.this.backup_retention_period >= 7 && !aws_db_instance.this.skip_final_snapshot
    error_message = "Automated backups (7 days at least) and a final snapshot must be kept."
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection
    error_message = "Deletion protection is on unless a caller turns it off."
  }
}

run "backups_of_fewer_than_seven_days_are_refused" {
  command = plan
  variables {
    backup_retention_days = 1
  }
  expect_failures = [var.backup_retention_days]
}
