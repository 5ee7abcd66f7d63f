# Two roles. The execution role is ECS's, to start a task: pull the image, write its logs, read
# its secrets. The app role is formwork's, inside the web and worker tasks: its own prefix of the
# files bucket and nothing else (and the metrics collector's log group). `migrate` has no app
# role: it needs nothing but the database.

locals {
  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })

  secret_arns = compact([
    var.database.secret_arn,
    module.metrics_token.arn,
    one(aws_secretsmanager_secret.smtp_url[*].arn),
    one(aws_secretsmanager_secret.oidc_client_secret[*].arn),
  ])
}

resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  assume_role_policy = local.ecs_tasks_trust
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution_secrets" {
  name = "read-secrets"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "TheTasksSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = local.secret_arns
      },
      {
        Sid      = "DecryptThem"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = distinct([var.kms_key_arn, var.database.secret_kms_key_arn])
      },
    ]
  })
}

resource "aws_iam_role" "app" {
  name               = "${var.name}-app"
  assume_role_policy = local.ecs_tasks_trust
}

resource "aws_iam_role_policy" "app_storage" {
  name = "files-under-own-prefix"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListOwnPrefix"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = var.storage.bucket_arn
        Condition = { StringLike = { "s3:prefix" = [var.storage.prefix, "${var.storage.prefix}/*"] } }
      },
      {
        Sid    = "FilesUnderOwnPrefix"
        Effect = "Allow"
        Action = [
          "s3:GetObject",
          "s3:PutObject",
          "s3:DeleteObject",
          "s3:AbortMultipartUpload",
          "s3:ListMultipartUploadParts",
        ]
        Resource = "${var.storage.bucket_arn}/${var.storage.prefix}/*"
      },
      {
        Sid      = "TheBucketsKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = var.storage.kms_key_arn
      },
    ]
  })
}

resource "aws_iam_role_policy" "app_metrics" {
  name = "metrics-collector-writes-its-log-group"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = "${aws_cloudwatch_log_group.metrics.arn}:*"
    }]
  })
}
