# formwork's PostgreSQL: RDS, encrypted, private, TLS only, with automated backups and
# point-in-time recovery. Its master password is made and kept by RDS in Secrets Manager (and
# rotated there), so it is never in Terraform's state: the tasks are given the secret's
# `password` key as DATABASE_PASSWORD beside a DATABASE_URL without one.

locals {
  major_version = split(".", var.engine_version)[0]
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

# Nothing may connect until a service adds its tasks' security group (modules/service).
resource "aws_security_group" "this" {
  name        = "${var.name}-database"
  description = "PostgreSQL, reached only by the security groups that services add"
  vpc_id      = var.vpc_id
}

resource "aws_db_parameter_group" "this" {
  name   = "${var.name}-postgres${local.major_version}"
  family = "postgres${local.major_version}"

  # Connections without TLS are refused.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  # Queries slower than a second are logged (CloudWatch Logs, below).
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
  parameter {
    name  = "log_lock_waits"
    value = "1"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  lifecycle {
    create_before_destroy = true
  }
}

# RDS exports PostgreSQL's log here; made beforehand so that it has a retention and the key.
resource "aws_cloudwatch_log_group" "postgresql" {
  name              = "/aws/rds/instance/${var.name}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_cloudwatch_log_group" "upgrade" {
  name              = "/aws/rds/instance/${var.name}/upgrade"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "monitoring" {
  name = "${var.name}-rds-monitoring"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_293:Variable: production sets deletion_protection (envs/production/tests checks it); dev, staging and the review apps' server may be deleted, after a final snapshot
  #checkov:skip=CKV_AWS_353:Variable, on in every environment here; an escape hatch for an instance class AWS does not offer it on
  #checkov:skip=CKV_AWS_157:Variable: production sets multi_az (envs/production/tests checks it); elsewhere one instance will do
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_name                       = var.database_name
  username                      = var.username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  ca_cert_identifier     = "rds-ca-rsa2048-g1"
  parameter_group_name   = aws_db_parameter_group.this.name

  multi_az            = var.multi_az
  deletion_protection = var.deletion_protection

  backup_retention_period   = var.backup_retention_days
  backup_window             = "01:00-02:00"
  maintenance_window        = "sun:02:30-sun:03:30"
  copy_tags_to_snapshot     = true
  delete_automated_backups  = false
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-final"

  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = var.apply_immediately

  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  iam_database_authentication_enabled   = true
  performance_insights_enabled          = var.performance_insights
  performance_insights_kms_key_id       = var.performance_insights ? var.kms_key_arn : null
  performance_insights_retention_period = var.performance_insights ? 7 : null
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn

  depends_on = [
    aws_cloudwatch_log_group.postgresql,
    aws_cloudwatch_log_group.upgrade,
    aws_iam_role_policy_attachment.monitoring,
  ]
}
