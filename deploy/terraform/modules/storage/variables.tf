variable "name" {
  description = "The environment's name, e.g. formwork-staging: it names the key and the buckets (with the account's id)."
  type        = string
}

variable "prefixes" {
  description = "The prefixes formwork's STORAGE_URL uses in the files bucket (s3://BUCKET/PREFIX), for the lifecycle rules of their uploads/ and exports/."
  type        = list(string)
  default     = ["formwork"]
}

variable "noncurrent_version_days" {
  description = "How long an overwritten or deleted file's previous version is kept (what a restore can bring back)."
  type        = number
  default     = 90
}

variable "export_expiry_days" {
  description = "Exports prepared as files are removed by formwork after EXPORT_KEEP_HOURS; any left over (a job that died) are removed after this many days."
  type        = number
  default     = 7
}

variable "uploads_infrequent_access_after_days" {
  description = "Uploaded files are read rarely once checked: they move to S3 Standard-IA after this many days."
  type        = number
  default     = 30
}

variable "expire_objects_after_days" {
  description = "Remove every file after this many days (review apps' shared bucket); null keeps them."
  type        = number
  default     = null
}

variable "log_retention_days" {
  description = "How long access logs are kept."
  type        = number
  default     = 365
}

variable "force_destroy" {
  description = "Let terraform destroy remove the buckets with their contents (review apps only)."
  type        = bool
  default     = false
}

variable "kms_deletion_window_days" {
  description = "How long a key scheduled for deletion can still be recovered."
  type        = number
  default     = 30
}
