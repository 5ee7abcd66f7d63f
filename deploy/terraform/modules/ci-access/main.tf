# The role a CI system assumes, through OpenID Connect and without stored keys, to deploy one
# environment: push the image, run terraform for it and run its migrate task
# (docs/deployment.md). GitHub Actions by default; any OIDC issuer works (GitLab, CircleCI, …).
#
# terraform apply creates every kind of resource the modules hold, so the role has AWS's
# PowerUserAccess (everything but IAM and Organizations), and IAM only for the roles whose names
# start with the environment's name — the ones the modules make — never its own. That is still
# the power to make a role with any policy and give it to a task: treat the role as an
# administrator of the environment's account, and let only protected branches or environments of
# the CI system assume it (subjects).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account     = data.aws_caller_identity.current.account_id
  partition   = data.aws_partition.current.partition
  issuer_host = trimprefix(var.issuer_url, "https://")
  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : (
    "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.issuer_host}"
  )
}

# One per issuer and account: when two environments share an account, one creates it and the
# other sets create_oidc_provider = false.
resource "aws_iam_openid_connect_provider" "this" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = var.issuer_url
  client_id_list = [var.audience]
}

resource "aws_iam_role" "this" {
  name                 = "${var.name}-deploy"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = { "${local.issuer_host}:aud" = var.audience }
        StringLike   = { "${local.issuer_host}:sub" = var.subjects }
      }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "power_user" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/PowerUserAccess"
}

resource "aws_iam_role_policy" "own_roles" {
  #checkov:skip=CKV_AWS_355:iam:ListRoles, ListPolicies and GetAccountAuthorizationDetails-style reads that terraform refreshes with take no resource
  name = "manage-${var.name}-roles"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "TheEnvironmentsOwnRoles"
        Effect = "Allow"
        Action = [
          "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
          "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
          "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
          "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole", "iam:PassRole",
        ]
        Resource = "arn:${local.partition}:iam::${local.account}:role/${var.name}-*"
      },
      {
        Sid      = "ServiceLinkedRolesTheServicesNeed"
        Effect   = "Allow"
        Action   = "iam:CreateServiceLinkedRole"
        Resource = "arn:${local.partition}:iam::${local.account}:role/aws-service-role/*"
      },
      {
        # It can read itself (terraform refreshes it) but not change itself: changes to this
        # module are applied by a person (docs/deployment.md).
        Sid      = "NeverChangeItself"
        Effect   = "Deny"
        Action   = ["iam:Put*", "iam:Attach*", "iam:Detach*", "iam:Delete*", "iam:Update*", "iam:Create*", "iam:Tag*", "iam:Untag*"]
        Resource = "arn:${local.partition}:iam::${local.account}:role/${var.name}-deploy"
      },
      {
        Sid      = "ReadTheOidcProvider"
        Effect   = "Allow"
        Action   = ["iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviders"]
        Resource = "*"
      },
    ]
  })
}
