variable "name" {
  description = "The environment's name, e.g. formwork-staging."
  type        = string
}

variable "cidr_block" {
  description = "The VPC's address range: a /16 leaves room for sixteen /20 subnets."
  type        = string
  default     = "10.20.0.0/16"
}

variable "zones" {
  description = "How many availability zones to spread over (2 or 3)."
  type        = number
  default     = 2
  validation {
    condition     = var.zones >= 2 && var.zones <= 3
    error_message = "zones must be 2 or 3: the load balancer and Multi-AZ PostgreSQL need two at least."
  }
}

variable "nat_gateway_per_zone" {
  description = "One NAT gateway per zone (survives a zone's loss; production), or one for all (cheaper)."
  type        = bool
  default     = false
}

variable "interface_endpoints" {
  description = "Interface endpoints for ECR, CloudWatch Logs and Secrets Manager, so that pulling images, logging and reading secrets do not go through the NAT gateway (about 7 USD a month each per zone)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "The key that encrypts the flow logs."
  type        = string
}

variable "flow_log_retention_days" {
  description = "How long the VPC's flow logs are kept."
  type        = number
  default     = 365
}
