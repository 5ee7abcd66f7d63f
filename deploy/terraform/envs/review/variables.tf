variable "region" {
  description = "The AWS region."
  type        = string
  default     = "eu-west-2"
}

variable "domain_name" {
  description = "The domain review apps live under, e.g. review.returns.example.gov.uk: change 123's app is pr-123.review.returns.example.gov.uk."
  type        = string
}

variable "zone_id" {
  description = "The Route 53 hosted zone domain_name is in."
  type        = string
}

variable "max_upload_bytes" {
  description = "MAX_UPLOAD_BYTES of the review apps (the firewall's size rule)."
  type        = number
  default     = 52428800
}

variable "alarm_emails" {
  description = "Addresses the shared database's alarms are sent to."
  type        = list(string)
  default     = []
}

variable "ci_subjects" {
  description = "The CI system's token subjects that may deploy review apps, e.g. [\"repo:ORG/formwork:pull_request\"] (empty: no CI role)."
  type        = list(string)
  default     = []
}

variable "ci_create_oidc_provider" {
  description = "Create the account's OIDC provider for the CI system (false if another environment in the account has)."
  type        = bool
  default     = true
}
