variable "name" {
  description = "The environment's name, e.g. formwork-staging."
  type        = string
}

variable "max_upload_bytes" {
  description = "formwork's MAX_UPLOAD_BYTES: requests whose Content-Length has more digits than it are refused."
  type        = number
}

variable "requests_per_five_minutes" {
  description = "The most requests one address may make in five minutes before it is refused for a while. An organisation behind one NAT address is many people: keep it generous."
  type        = number
  default     = 3000
}

variable "count_only_rules" {
  description = "Rules of the managed groups that only count instead of blocking, by group. SizeRestrictions_BODY would block every upload over 8 KB; add a rule here when the WAF's log shows it blocking legitimate requests (docs/deployment.md)."
  type        = map(list(string))
  default = {
    AWSManagedRulesCommonRuleSet = ["SizeRestrictions_BODY"]
  }
}

variable "log_retention_days" {
  description = "How long the firewall's log is kept."
  type        = number
  default     = 365
}
