# The secrets a deployment of formwork has besides the database's password (which RDS keeps).

# METRICS_TOKEN: a random value (modules/generated-secret). Raise metrics_token_version to make a
# new one; the web tasks read it when they start.
module "metrics_token" {
  source               = "../generated-secret"
  name                 = "${var.name}/metrics-token"
  description          = "METRICS_TOKEN: what the metrics collector sends to read /metrics"
  kms_key_arn          = var.kms_key_arn
  recovery_window_days = var.secret_recovery_window_days
  generation           = var.metrics_token_version
}

# SMTP_URL and OIDC_CLIENT_SECRET hold credentials made elsewhere (the mail relay's, the identity
# provider's): Terraform makes the empty secrets, and an operator puts their values
# (docs/deployment.md), so that they are never in Terraform's variables or state.
resource "aws_secretsmanager_secret" "smtp_url" {
  #checkov:skip=CKV2_AWS_57:The SMTP relay's credentials are issued by the relay; rotating them is the relay's procedure (docs/deployment.md)
  count                   = var.smtp ? 1 : 0
  name                    = "${var.name}/smtp-url"
  description             = "SMTP_URL: the relay's URL with its user and password (docs/operations.md)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
}

resource "aws_secretsmanager_secret" "oidc_client_secret" {
  #checkov:skip=CKV2_AWS_57:The client secret is issued by the identity provider; rotating it is the provider's procedure (docs/deployment.md)
  count                   = var.oidc == null ? 0 : 1
  name                    = "${var.name}/oidc-client-secret"
  description             = "OIDC_CLIENT_SECRET: formwork's client secret at the OpenID Connect provider"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
}
