variable "name" {
  description = "The secret's name, e.g. formwork-staging/metrics-token."
  type        = string
}

variable "description" {
  description = "What the secret is for."
  type        = string
}

variable "kms_key_arn" {
  description = "The key that encrypts it."
  type        = string
}

variable "recovery_window_days" {
  description = "How long a deleted secret can be recovered (0 deletes it at once)."
  type        = number
  default     = 30
}

variable "generation" {
  description = "Raise it by one to make a new value."
  type        = number
  default     = 1
}
