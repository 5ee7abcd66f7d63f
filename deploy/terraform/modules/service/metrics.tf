# Queue depth and failed jobs come from formwork's /metrics (formwork_jobs_waiting,
# formwork_jobs_failed, formwork_database_up). Each web task carries an AWS Distro for
# OpenTelemetry collector that scrapes its formwork at localhost:8080 with METRICS_TOKEN — never
# through the load balancer, which answers /metrics with 404 — and writes the three gauges to
# CloudWatch as embedded-metric-format logs: metrics in the namespace formwork/NAME, with no
# dimensions, which modules/alarms watches. The gauges are the whole database's, so every web task
# reports the same values: read them with the Maximum statistic.

locals {
  metrics_namespace = "formwork/${var.name}"

  collector_config = yamlencode({
    extensions = { health_check = {} }
    receivers = {
      prometheus = {
        config = {
          scrape_configs = [{
            job_name        = "formwork"
            scrape_interval = "60s"
            metrics_path    = "/metrics"
            # Expanded by the collector from the container's secret, never written here.
            authorization  = { credentials = "$${env:METRICS_TOKEN}" }
            static_configs = [{ targets = ["localhost:8080"] }]
            metric_relabel_configs = [{
              source_labels = ["__name__"]
              regex         = "formwork_(jobs_waiting|jobs_failed|database_up)"
              action        = "keep"
            }]
          }]
        }
      }
    }
    processors = { batch = {} }
    exporters = {
      awsemf = {
        namespace               = local.metrics_namespace
        log_group_name          = aws_cloudwatch_log_group.metrics.name
        dimension_rollup_option = "NoDimensionRollup"
        metric_declarations = [{
          dimensions            = [[]]
          metric_name_selectors = ["^formwork_jobs_waiting$", "^formwork_jobs_failed$", "^formwork_database_up$"]
        }]
      }
    }
    service = {
      extensions = ["health_check"]
      pipelines = {
        metrics = { receivers = ["prometheus"], processors = ["batch"], exporters = ["awsemf"] }
      }
    }
  })

  metrics_collector_container = {
    name                   = "metrics-collector"
    image                  = var.metrics_collector_image
    essential              = false
    readonlyRootFilesystem = true
    environment            = [{ name = "AOT_CONFIG_CONTENT", value = local.collector_config }]
    secrets                = [{ name = "METRICS_TOKEN", valueFrom = module.metrics_token.arn }]
    logConfiguration       = local.log_configuration.collector
    dependsOn              = [{ containerName = "formwork", condition = "START" }]
  }
}

# Where the collector writes the embedded-metric-format records CloudWatch makes metrics of.
resource "aws_cloudwatch_log_group" "metrics" {
  #checkov:skip=CKV_AWS_338:These records are only the carrier of three gauges, which CloudWatch keeps as metrics for 15 months; a month of them is plenty to look into a gap
  name              = "/formwork/${var.name}/metrics"
  retention_in_days = 30
  kms_key_id        = var.kms_key_arn
}
