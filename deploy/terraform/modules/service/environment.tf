# The only place the containers' environment is written: what each formwork process is given.
# One variable a line, `NAME = value`, so that crates/formwork/tests/cli/deploy.rs can read the
# names and check them against the variables `formwork serve`, `worker` and `migrate` read (and
# that every variable production needs is here). docs/operations.md says what each one does.
#
# Which process gets which (main.tf):
#   migrate: database_environment, database_secrets
#   worker:  environment, worker_environment, secrets
#   web:     environment, web_environment, secrets, web_secrets

locals {
  database_url = "postgres://${var.database.username}@${var.database.address}:${var.database.port}/${var.database.name}?sslmode=require"

  # Read by every process, `migrate` included. The password is not in DATABASE_URL: it is the
  # secret DATABASE_PASSWORD, below.
  database_environment = {
    DATABASE_URL             = local.database_url
    DATABASE_MAX_CONNECTIONS = tostring(var.database_max_connections)
    LOG_FORMAT               = "json"
    RUST_LOG                 = var.log_level
  }

  # Read by `serve` and `worker` alike.
  environment = merge(
    local.database_environment,
    {
      STORAGE_URL            = "s3://${var.storage.bucket}/${var.storage.prefix}"
      AWS_REGION             = data.aws_region.current.name
      BASE_URL               = var.base_url
      SERVICE_NAME           = var.service_name
      MAIL_FROM              = var.mail_from
      MAX_UPLOAD_BYTES       = tostring(var.max_upload_bytes)
      MAX_UPLOAD_ROWS        = tostring(var.max_upload_rows)
      EXPORT_DIRECT_MAX_ROWS = tostring(var.export_direct_max_rows)
      EXPORT_KEEP_HOURS      = tostring(var.export_keep_hours)
      TMPDIR                 = "/tmp"
    },
    # Without an SMTP relay (review apps), emails are written as files: under /tmp, the one place
    # a read-only root file system lets formwork write, and lost with the task.
    var.smtp ? {} : {
      MAIL_DIR = "/tmp/mail"
    },
  )

  # Only the web service's `formwork serve`.
  web_environment = merge(
    {
      BIND                = "0.0.0.0:8080"
      NO_WORKER           = "true"
      TRUST_FORWARDED_FOR = "true"
      BRAND               = var.brand
    },
    var.organisation_name == null ? {} : {
      ORGANISATION_NAME = var.organisation_name
    },
    var.oidc == null ? {} : {
      OIDC_ISSUER                = var.oidc.issuer
      OIDC_CLIENT_ID             = var.oidc.client_id
      OIDC_ASSUME_EMAIL_VERIFIED = tostring(var.oidc.assume_email_verified)
    },
  )

  # Only the worker service's `formwork worker`.
  worker_environment = {
    JOB_LEASE_SECONDS = tostring(var.job_lease_seconds)
  }

  # Secrets, which ECS reads from Secrets Manager when a task starts: NAME = the secret's ARN, or
  # ARN:KEY:: for one key of a JSON secret (RDS's secret holds `username` and `password`).
  database_secrets = {
    DATABASE_PASSWORD = "${var.database.secret_arn}:password::"
  }

  secrets = merge(
    local.database_secrets,
    var.smtp ? {
      SMTP_URL = aws_secretsmanager_secret.smtp_url[0].arn
    } : {},
  )

  web_secrets = merge(
    {
      METRICS_TOKEN = module.metrics_token.arn
    },
    var.oidc == null ? {} : {
      OIDC_CLIENT_SECRET = aws_secretsmanager_secret.oidc_client_secret[0].arn
    },
  )
}
