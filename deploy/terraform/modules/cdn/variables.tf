variable "name" {
  description = "The environment's name, e.g. formwork-staging."
  type        = string
}

variable "aliases" {
  description = "The names people use, e.g. [\"returns.example.gov.uk\"] (review apps: [\"*.review.example.gov.uk\"]). The first is the certificate's name."
  type        = list(string)
}

variable "zone_id" {
  description = "The Route 53 hosted zone the names are in."
  type        = string
}

variable "origin_domain_name" {
  description = "The load balancer's name (modules/load-balancer)."
  type        = string
}

variable "forward_host_header" {
  description = "Pass the viewer's Host header to the load balancer (review apps, which share one); otherwise the origin's name is sent."
  type        = bool
  default     = false
}

variable "web_acl_arn" {
  description = "The web application firewall (modules/waf)."
  type        = string
}

variable "logs_bucket_domain_name" {
  description = "The access logs bucket (modules/storage)."
  type        = string
}

variable "price_class" {
  description = "Which edge locations serve it: PriceClass_100 is Europe and North America."
  type        = string
  default     = "PriceClass_100"
}

variable "origin_header" {
  description = "The secret header the load balancer requires (modules/load-balancer)."
  type = object({
    name  = string
    value = string
  })
  sensitive = true
}
