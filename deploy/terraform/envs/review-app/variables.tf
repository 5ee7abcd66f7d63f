variable "change" {
  description = "The change this app is for, as it appears in its host name, e.g. pr-123 (lower-case letters, digits and hyphens)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,7}$", var.change))
    error_message = "change must be 1 to 8 lower-case letters, digits and hyphens, e.g. pr-123."
  }
}

variable "listener_rule_priority" {
  description = "This app's rule on the shared listener: unique among the open review apps, from 2 to 50000 (the pull request's number plus 100 will do)."
  type        = number
  validation {
    condition     = var.listener_rule_priority >= 2 && var.listener_rule_priority <= 50000
    error_message = "listener_rule_priority must be from 2 to 50000 (1 is the /metrics rule)."
  }
}

variable "state_bucket" {
  description = "The bucket holding Terraform's states (envs/review's among them)."
  type        = string
}

variable "region" {
  description = "The AWS region (the review environment's and the state bucket's)."
  type        = string
  default     = "eu-west-2"
}

variable "image_tag" {
  description = "The image tag the app's services run."
  type        = string
}

variable "migrate_image_tag" {
  description = "The image tag the migrate task runs; null: image_tag."
  type        = string
  default     = null
}

variable "start_services" {
  description = "Run the app's tasks (false until its database exists and is migrated: the first apply)."
  type        = bool
  default     = true
}

variable "postgres_image" {
  description = "PostgreSQL's image, whose psql makes and drops the app's database."
  type        = string
  default     = "public.ecr.aws/docker/library/postgres:17-alpine"
}
