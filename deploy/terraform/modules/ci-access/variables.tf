variable "name" {
  description = "The environment's name, e.g. formwork-staging: the role is NAME-deploy and may manage the roles named NAME-*."
  type        = string
}

variable "issuer_url" {
  description = "The CI system's OpenID Connect issuer."
  type        = string
  default     = "https://token.actions.githubusercontent.com"
}

variable "audience" {
  description = "The audience the CI system's tokens carry."
  type        = string
  default     = "sts.amazonaws.com"
}

variable "subjects" {
  description = "Which of the CI system's tokens may assume the role, as `sub` patterns, e.g. [\"repo:ORG/formwork:environment:staging\"] for GitHub Actions jobs of that environment."
  type        = list(string)
  validation {
    condition     = length(var.subjects) > 0 && alltrue([for subject in var.subjects : subject != "*"])
    error_message = "subjects must name the CI system's repository (and environment or branch): \"*\" would let any of its users deploy."
  }
}

variable "create_oidc_provider" {
  description = "Create the account's OIDC provider for the issuer (false when another environment in the account already has)."
  type        = bool
  default     = true
}
