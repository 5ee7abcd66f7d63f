variable "name" {
  description = "The environment's name, e.g. formwork-staging: the instance's identifier."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets in two zones at least."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "The key that encrypts the storage, snapshots, the master password's secret, Performance Insights and the logs."
  type        = string
}

variable "engine_version" {
  description = "PostgreSQL's version: a major version (RDS picks its default minor one) or major.minor."
  type        = string
  default     = "17"
}

variable "instance_class" {
  description = "The instance's size."
  type        = string
  default     = "db.t4g.small"
}

variable "allocated_storage_gb" {
  description = "Storage at the start."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gb" {
  description = "Storage grows by itself up to this."
  type        = number
  default     = 200
}

variable "database_name" {
  description = "The database formwork uses."
  type        = string
  default     = "formwork"
}

variable "username" {
  description = "The master user, which formwork connects as."
  type        = string
  default     = "formwork"
}

variable "multi_az" {
  description = "A standby in a second zone, failed over to automatically (production)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (production: true)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "How many days of automated backups (and so of point-in-time recovery) to keep."
  type        = number
  default     = 7
  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be from 7 to 35."
  }
}

variable "performance_insights" {
  description = "Performance Insights (CloudWatch Database Insights, standard mode: 7 days of database load, free). Turn it off for an instance class AWS does not offer it on."
  type        = bool
  default     = true
}

variable "apply_immediately" {
  description = "Apply changes now rather than in the maintenance window."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "How long PostgreSQL's logs are kept in CloudWatch Logs."
  type        = number
  default     = 365
}
