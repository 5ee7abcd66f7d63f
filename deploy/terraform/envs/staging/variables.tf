variable "region" {
  description = "The AWS region everything but CloudFront's certificate and firewall is in."
  type        = string
  default     = "eu-west-2"
}

variable "domain_name" {
  description = "The service's address without https://, e.g. returns.example.gov.uk."
  type        = string
}

variable "zone_id" {
  description = "The Route 53 hosted zone domain_name is in."
  type        = string
}

variable "image_tag" {
  description = "The image tag the web and worker services run (a release passes it: -var image_tag=…)."
  type        = string
}

variable "migrate_image_tag" {
  description = "The image tag the migrate task runs; null: image_tag."
  type        = string
  default     = null
}

variable "start_services" {
  description = "Run tasks (false for the very first apply only)."
  type        = bool
  default     = true
}

variable "mail_from" {
  description = "MAIL_FROM: an address the SMTP relay may send from."
  type        = string
}

variable "organisation_name" {
  description = "ORGANISATION_NAME: the public body that runs the service."
  type        = string
  default     = null
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

variable "alarm_emails" {
  description = "Addresses the alarms are sent to."
  type        = list(string)
  default     = []
}

variable "ci_subjects" {
  description = "The CI system's token subjects that may deploy this environment, e.g. [\"repo:ORG/formwork:environment:staging\"] (empty: no CI role)."
  type        = list(string)
  default     = []
}

variable "ci_create_oidc_provider" {
  description = "Create the account's OIDC provider for the CI system (false if another environment in the account has)."
  type        = bool
  default     = true
}
