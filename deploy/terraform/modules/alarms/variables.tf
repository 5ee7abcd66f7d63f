variable "name" {
  description = "The deployment's name, e.g. formwork-staging."
  type        = string
}

variable "kms_key_arn" {
  description = "The key that encrypts the topic's messages."
  type        = string
}

variable "emails" {
  description = "Addresses subscribed to the topic (each confirms by email)."
  type        = list(string)
  default     = []
}

variable "web" {
  description = "The web service's load balancer and target group (ARN suffixes), its cluster and the services whose stopped tasks are reported; null: no web alarms."
  type = object({
    load_balancer_arn_suffix = string
    target_group_arn_suffix  = string
    cluster_arn              = string
    service_names            = list(string)
  })
  default = null
}

variable "metrics_namespace" {
  description = "The namespace of formwork's gauges (modules/service); null: no job alarms."
  type        = string
  default     = null
}

variable "database" {
  description = "The RDS instance to watch; null: no database alarms."
  type = object({
    instance_id = string
  })
  default = null
}

variable "http_5xx_percent" {
  description = "The share of 5xx answers that alarms."
  type        = number
  default     = 2
}

variable "latency_p99_seconds" {
  description = "The 99th percentile of response time that alarms."
  type        = number
  default     = 2
}

variable "queue_depth" {
  description = "Jobs waiting that alarm when they have waited 15 minutes."
  type        = number
  default     = 100
}

variable "database_cpu_percent" {
  description = "PostgreSQL's CPU that alarms after 15 minutes."
  type        = number
  default     = 80
}

variable "database_free_storage_gb" {
  description = "Free storage under which PostgreSQL alarms."
  type        = number
  default     = 5
}
