variable "name" {
  description = "The environment's name, e.g. formwork-staging (at most 32 characters)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets in two zones at least."
  type        = list(string)
}

variable "zone_id" {
  description = "The Route 53 hosted zone of the service's domain, for the certificate's validation and the origin's record."
  type        = string
}

variable "origin_domain_name" {
  description = "The name CloudFront reaches the load balancer at, e.g. origin.returns.example.gov.uk."
  type        = string
}

variable "certificate_domain_names" {
  description = "The names the load balancer's certificate covers: the origin's name, and the service's names when CloudFront forwards the viewer's Host header (review apps: one wildcard covers both)."
  type        = list(string)
}

variable "logs_bucket" {
  description = "The bucket access logs go to (under alb/)."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The key that encrypts the origin header's secret."
  type        = string
}

variable "origin_secret_version" {
  description = "Raise it by one to make a new secret origin header."
  type        = number
  default     = 1
}

variable "secret_recovery_window_days" {
  description = "How long a deleted secret can be recovered (0 deletes it at once: review apps)."
  type        = number
  default     = 30
}
