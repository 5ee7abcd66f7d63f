variable "name" {
  description = "The environment's name, e.g. formwork-staging: it names nearly everything (keep it short: the load balancer's name allows 32 characters)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,23}$", var.name))
    error_message = "name must be 3 to 24 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "domain_name" {
  description = "The service's address without https://, e.g. returns.example.gov.uk (BASE_URL is https:// and it). origin.DOMAIN is made for the load balancer."
  type        = string
}

variable "zone_id" {
  description = "The Route 53 hosted zone that domain_name is in."
  type        = string
}

variable "image_tag" {
  description = "The image tag the web and worker services run."
  type        = string
}

variable "migrate_image_tag" {
  description = "The image tag the migrate task runs; null: image_tag. A release sets this first and runs migrate, then sets image_tag (docs/deployment.md)."
  type        = string
  default     = null
}

variable "start_services" {
  description = "Run tasks (false for the very first apply, before an image is pushed and the secrets are put)."
  type        = bool
  default     = true
}

variable "cidr_block" {
  description = "The VPC's address range."
  type        = string
  default     = "10.20.0.0/16"
}

variable "zones" {
  description = "Availability zones (2 or 3)."
  type        = number
  default     = 2
}

variable "nat_gateway_per_zone" {
  description = "A NAT gateway in each zone (production) rather than one."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "VPC interface endpoints for ECR, CloudWatch Logs and Secrets Manager."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the database and the load balancer from deletion (production)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy remove the buckets and images with their contents (never for production)."
  type        = bool
  default     = false
}

variable "database" {
  description = "PostgreSQL's size, standby and backups."
  type = object({
    instance_class           = optional(string, "db.t4g.small")
    allocated_storage_gb     = optional(number, 20)
    max_allocated_storage_gb = optional(number, 200)
    multi_az                 = optional(bool, false)
    backup_retention_days    = optional(number, 7)
    performance_insights     = optional(bool, true)
  })
  default = {}
}

variable "web" {
  description = "The web service's tasks (modules/service)."
  type        = any
  default     = {}
}

variable "worker" {
  description = "The worker service's tasks (modules/service)."
  type        = any
  default     = {}
}

variable "service_name" {
  description = "SERVICE_NAME."
  type        = string
  default     = "formwork"
}

variable "brand" {
  description = "BRAND: plain, or govuk on GOV.UK."
  type        = string
  default     = "plain"
}

variable "organisation_name" {
  description = "ORGANISATION_NAME."
  type        = string
  default     = null
}

variable "mail_from" {
  description = "MAIL_FROM: an address the SMTP relay may send from."
  type        = string
}

variable "oidc" {
  description = "OpenID Connect sign-in: issuer and client id (null: local accounts only)."
  type = object({
    issuer                = string
    client_id             = string
    assume_email_verified = optional(bool, false)
  })
  default = null
}

variable "max_upload_bytes" {
  description = "MAX_UPLOAD_BYTES, given to formwork and to the firewall's size rule."
  type        = number
  default     = 52428800
}

variable "alarm_emails" {
  description = "Addresses the alarms are sent to."
  type        = list(string)
  default     = []
}

variable "ci_subjects" {
  description = "The CI system's token subjects that may deploy this environment (empty: no CI role)."
  type        = list(string)
  default     = []
}

variable "ci_create_oidc_provider" {
  description = "Create the account's OIDC provider for the CI system (false if another environment in the account has)."
  type        = bool
  default     = true
}
