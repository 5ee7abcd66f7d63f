# What should wake someone, sent to one SNS topic (subscribe email addresses, a chat integration
# or an on-call tool to it): the share of 5xx answers, slow answers, tasks that stopped on their
# own, the job queue's depth and jobs that failed for good (formwork's own /metrics, through the
# collector in modules/service), and the database's CPU and free storage. Each part is optional,
# so that the review apps' shared database can have alarms without a service.

locals {
  web     = var.web == null ? {} : { this = var.web }
  jobs    = var.metrics_namespace == null ? {} : { this = var.metrics_namespace }
  db      = var.database == null ? {} : { this = var.database }
  actions = [aws_sns_topic.this.arn]
}

resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_policy" "this" {
  arn = aws_sns_topic.this.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AlarmsAndEventsPublish"
      Effect    = "Allow"
      Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.this.arn
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
}

data "aws_caller_identity" "current" {}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.emails)
  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.key
}

# ---- the web service ----

resource "aws_cloudwatch_metric_alarm" "http_5xx_rate" {
  for_each            = local.web
  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "More than ${var.http_5xx_percent}% of requests answered 5xx (by formwork or the load balancer) for 5 minutes"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.http_5xx_percent
  evaluation_periods  = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target, 0) + FILL(balancer, 0)) / IF(FILL(requests, 0) > 0, requests, 1)"
    label       = "5xx %"
    return_data = true
  }
  metric_query {
    id = "target"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = each.value.load_balancer_arn_suffix, TargetGroup = each.value.target_group_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
  metric_query {
    id = "balancer"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = each.value.load_balancer_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = each.value.load_balancer_arn_suffix, TargetGroup = each.value.target_group_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  for_each            = local.web
  alarm_name          = "${var.name}-latency"
  alarm_description   = "The 99th percentile of answers took over ${var.latency_p99_seconds} s for 5 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = each.value.load_balancer_arn_suffix, TargetGroup = each.value.target_group_arn_suffix }
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.latency_p99_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_tasks" {
  for_each            = local.web
  alarm_name          = "${var.name}-unhealthy-tasks"
  alarm_description   = "A web task has failed /readyz for 5 minutes (the database or storage does not answer it)"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = each.value.load_balancer_arn_suffix, TargetGroup = each.value.target_group_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# A task that stopped without ECS deciding to stop it — its process exited (a crash, or out of
# memory) or it could not start — is replaced by ECS; each such restart is sent to the topic.
resource "aws_cloudwatch_event_rule" "task_stopped" {
  for_each    = local.web
  name        = "${var.name}-task-stopped"
  description = "A task of ${var.name} stopped on its own"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [each.value.cluster_arn]
      group      = [for service in each.value.service_names : "service:${service}"]
      lastStatus = ["STOPPED"]
      stopCode   = ["EssentialContainerExited", "TaskFailedToStart"]
    }
  })
}

resource "aws_cloudwatch_event_target" "task_stopped" {
  for_each = local.web
  rule     = aws_cloudwatch_event_rule.task_stopped[each.key].name
  arn      = aws_sns_topic.this.arn
  input_transformer {
    input_paths = {
      group  = "$.detail.group"
      reason = "$.detail.stoppedReason"
      task   = "$.detail.taskArn"
    }
    input_template = "\"${var.name}: a task of <group> stopped on its own and is being replaced: <reason> (<task>)\""
  }
}

# ---- jobs, from formwork's /metrics ----

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  for_each            = local.jobs
  alarm_name          = "${var.name}-queue-depth"
  alarm_description   = "More than ${var.queue_depth} jobs have waited for 15 minutes: add workers (worker.min) or look for a stuck job on the Jobs page"
  namespace           = each.value
  metric_name         = "formwork_jobs_waiting"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.queue_depth
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "failed_jobs" {
  for_each            = local.jobs
  alarm_name          = "${var.name}-failed-jobs"
  alarm_description   = "A job has failed for good and waits for a service admin on the Jobs page"
  namespace           = each.value
  metric_name         = "formwork_jobs_failed"
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# No scrape (the collector or every web task is down) is as alarming as a database that does not
# answer one.
resource "aws_cloudwatch_metric_alarm" "database_up" {
  for_each            = local.jobs
  alarm_name          = "${var.name}-database-or-metrics-down"
  alarm_description   = "formwork could not reach its database for 5 minutes, or its metrics stopped arriving"
  namespace           = each.value
  metric_name         = "formwork_database_up"
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

# ---- the database ----

resource "aws_cloudwatch_metric_alarm" "database_cpu" {
  for_each            = local.db
  alarm_name          = "${var.name}-database-cpu"
  alarm_description   = "PostgreSQL's CPU has been over ${var.database_cpu_percent}% for 15 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = each.value.instance_id }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.database_cpu_percent
  alarm_actions       = local.actions
  ok_actions          = local.actions
}

resource "aws_cloudwatch_metric_alarm" "database_storage" {
  for_each            = local.db
  alarm_name          = "${var.name}-database-storage"
  alarm_description   = "PostgreSQL has less than ${var.database_free_storage_gb} GB of storage free: it grows by itself up to its maximum (at most every six hours); past that, writes stop"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = each.value.instance_id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.database_free_storage_gb * 1024 * 1024 * 1024
  alarm_actions       = local.actions
  ok_actions          = local.actions
}
