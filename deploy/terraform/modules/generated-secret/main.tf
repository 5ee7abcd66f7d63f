# A Secrets Manager secret holding a random value made here: 64 hexadecimal digits from two UUIDs
# (Terraform's uuid() reads the operating system's cryptographic random source), kept stable by
# terraform_data until `generation` is raised. Its value is in Terraform's state — as it must be
# for CloudFront's origin header, which CloudFront and the load balancer's rules hold — so the
# state bucket is private and encrypted (docs/deployment.md). The database's password, the SMTP
# relay's and the identity provider's credentials are never made this way.
#
# (Secrets Manager's own generator, an ephemeral resource written write-only, would keep the value
# out of the state, but `terraform test` cannot mock ephemeral resources yet.)

resource "terraform_data" "value" {
  input            = join("", [for _ in range(2) : replace(uuid(), "-", "")])
  triggers_replace = [var.generation]
  lifecycle {
    ignore_changes = [input]
  }
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotated by raising `generation` (docs/deployment.md, rotating secrets): the services that read it must be rolled with it, which a rotation schedule would not do
  name                    = var.name
  description             = var.description
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_days
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id     = aws_secretsmanager_secret.this.id
  secret_string = terraform_data.value.output
}
