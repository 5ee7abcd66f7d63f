# RDS rotates the database's master password in Secrets Manager (every seven days unless told
# otherwise), and ECS gives a task its secrets only when it starts: after a rotation, running
# tasks could not open new connections. So each rotation of the database's secret starts a new
# deployment of both services, whose tasks read the new password; the old tasks keep their open
# connections until they stop. Nothing else is needed: no code, one rule and a two-step state
# machine.

resource "aws_cloudwatch_event_rule" "database_password_rotated" {
  name        = "${var.name}-database-password-rotated"
  description = "The database's password was rotated: restart ${var.name}'s services"
  event_pattern = jsonencode({
    source        = ["aws.secretsmanager"]
    "detail-type" = ["AWS Service Event via CloudTrail"]
    detail = {
      eventName           = ["RotationSucceeded"]
      additionalEventData = { SecretId = [var.database.secret_arn] }
    }
  })
}

resource "aws_cloudwatch_event_target" "restart" {
  rule     = aws_cloudwatch_event_rule.database_password_rotated.name
  arn      = aws_sfn_state_machine.restart.arn
  role_arn = aws_iam_role.events.arn
}

resource "aws_sfn_state_machine" "restart" {
  name     = "${var.name}-restart"
  role_arn = aws_iam_role.restart.arn
  definition = jsonencode({
    Comment = "Restart formwork's services so that their tasks read the database's new password"
    StartAt = "Web"
    States = {
      Web = {
        Type       = "Task"
        Resource   = "arn:aws:states:::aws-sdk:ecs:updateService"
        Parameters = { Cluster = var.cluster_arn, Service = aws_ecs_service.web.name, ForceNewDeployment = true }
        Next       = "Worker"
      }
      Worker = {
        Type       = "Task"
        Resource   = "arn:aws:states:::aws-sdk:ecs:updateService"
        Parameters = { Cluster = var.cluster_arn, Service = aws_ecs_service.worker.name, ForceNewDeployment = true }
        End        = true
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.restart.arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }
}

resource "aws_cloudwatch_log_group" "restart" {
  name              = "/formwork/${var.name}/restart"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_iam_role" "events" {
  name = "${var.name}-events"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "events" {
  name = "start-restart"
  role = aws_iam_role.events.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = aws_sfn_state_machine.restart.arn
    }]
  })
}

resource "aws_iam_role" "restart" {
  name = "${var.name}-restart"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "states.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

resource "aws_iam_role_policy" "restart" {
  name = "restart-services"
  role = aws_iam_role.restart.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RestartTheTwoServices"
        Effect   = "Allow"
        Action   = "ecs:UpdateService"
        Resource = [aws_ecs_service.web.id, aws_ecs_service.worker.id]
      },
      {
        # Step Functions' log delivery and X-Ray work on no particular resource.
        Sid    = "LogsAndTraces"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
          "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
        ]
        Resource = "*"
      },
    ]
  })
}
