variable "name" {
  description = "The deployment's name, e.g. formwork-staging or formwork-review-123: it names the services, roles, secrets and log groups."
  type        = string
}

variable "image" {
  description = "The image the web and worker services run, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/formwork:TAG."
  type        = string
}

variable "migrate_image" {
  description = "The image the migrate task runs. A release sets it first, runs migrate, then sets image to the same (docs/deployment.md)."
  type        = string
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64: what the image was built for."
  type        = string
  default     = "X86_64"
}

variable "cluster_arn" {
  description = "The ECS cluster."
  type        = string
}

variable "cluster_name" {
  description = "The ECS cluster's name (for autoscaling)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for the tasks."
  type        = list(string)
}

variable "load_balancer" {
  description = "The HTTPS listener to add the forwarding rule to (and the rule's priority, unique on it), the load balancer's security group and its ARN suffix."
  type = object({
    listener_arn      = string
    rule_priority     = number
    security_group_id = string
    arn_suffix        = string
  })
}

variable "origin_header" {
  description = "CloudFront's secret origin header (modules/cdn): the forwarding rule requires it."
  type = object({
    name  = string
    value = string
  })
  sensitive = true
}

variable "host_name" {
  description = "Forward only requests for this host name (review apps on the shared load balancer); null forwards any."
  type        = string
  default     = null
}

variable "database" {
  description = "Where PostgreSQL is and the secret (made by RDS) whose `password` key is the user's password."
  type = object({
    address            = string
    port               = number
    name               = string
    username           = string
    secret_arn         = string
    secret_kms_key_arn = string
    security_group_id  = string
  })
}

variable "storage" {
  description = "The files bucket and this deployment's prefix in it (STORAGE_URL=s3://BUCKET/PREFIX); the tasks may touch nothing outside the prefix."
  type = object({
    bucket      = string
    bucket_arn  = string
    prefix      = string
    kms_key_arn = string
  })
}

variable "kms_key_arn" {
  description = "The key for the log groups and secrets."
  type        = string
}

variable "base_url" {
  description = "BASE_URL: the address people use, https://…"
  type        = string
}

variable "service_name" {
  description = "SERVICE_NAME: the name in page headers and emails."
  type        = string
  default     = "formwork"
}

variable "brand" {
  description = "BRAND: plain, or govuk for a service on GOV.UK."
  type        = string
  default     = "plain"
}

variable "organisation_name" {
  description = "ORGANISATION_NAME: the public body that runs the service (null: none shown)."
  type        = string
  default     = null
}

variable "mail_from" {
  description = "MAIL_FROM: the sender of emails, an address the SMTP relay may send from."
  type        = string
}

variable "smtp" {
  description = "Send emails through an SMTP relay whose URL is the secret NAME/smtp-url (false: emails are written under /tmp and lost; review apps only)."
  type        = bool
  default     = true
}

variable "oidc" {
  description = "Sign-in through an OpenID Connect provider: its issuer and formwork's client id (the client secret goes into the secret NAME/oidc-client-secret). Null: local accounts only."
  type = object({
    issuer                = string
    client_id             = string
    assume_email_verified = optional(bool, false)
  })
  default = null
}

variable "max_upload_bytes" {
  description = "MAX_UPLOAD_BYTES, the largest upload (give the WAF the same)."
  type        = number
  default     = 52428800
}

variable "max_upload_rows" {
  description = "MAX_UPLOAD_ROWS."
  type        = number
  default     = 1000000
}

variable "export_direct_max_rows" {
  description = "EXPORT_DIRECT_MAX_ROWS."
  type        = number
  default     = 100000
}

variable "export_keep_hours" {
  description = "EXPORT_KEEP_HOURS."
  type        = number
  default     = 24
}

variable "job_lease_seconds" {
  description = "JOB_LEASE_SECONDS."
  type        = number
  default     = 60
}

variable "database_max_connections" {
  description = "DATABASE_MAX_CONNECTIONS, for each task (which opens up to 4 more for exports): keep (web.max + worker.max) × (it + 4), plus a few for migrate and people, under the instance's max_connections."
  type        = number
  default     = 10
}

variable "log_level" {
  description = "RUST_LOG."
  type        = string
  default     = "info"
}

variable "web" {
  description = "The web service's tasks: size, how many, and the scaling targets (average CPU, and requests a task takes a minute)."
  type = object({
    cpu                          = optional(number, 512)
    memory                       = optional(number, 1024)
    min                          = optional(number, 2)
    max                          = optional(number, 6)
    cpu_target_percent           = optional(number, 60)
    requests_per_task_per_minute = optional(number, 6000)
  })
  default = {}
}

variable "worker" {
  description = "The worker service's tasks: size, how many, the scaling targets (average CPU, and jobs waiting for each task) and the disk for uploads being checked."
  type = object({
    cpu                   = optional(number, 1024)
    memory                = optional(number, 2048)
    min                   = optional(number, 1)
    max                   = optional(number, 4)
    cpu_target_percent    = optional(number, 60)
    jobs_per_task         = optional(number, 4)
    ephemeral_storage_gib = optional(number, 30)
  })
  default = {}
}

variable "start_services" {
  description = "Run tasks. False keeps both services at none (the first apply, before an image is pushed and secrets are put)."
  type        = bool
  default     = true
}

variable "metrics_collector_image" {
  description = "The AWS Distro for OpenTelemetry collector that scrapes /metrics beside each web task."
  type        = string
  default     = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
}

variable "log_retention_days" {
  description = "How long the processes' logs are kept."
  type        = number
  default     = 365
}

variable "metrics_token_version" {
  description = "Raise it by one to make a new METRICS_TOKEN (then roll the web service)."
  type        = number
  default     = 1
}

variable "secret_recovery_window_days" {
  description = "How long a deleted secret can be recovered (0 deletes it at once: review apps)."
  type        = number
  default     = 30
}
