output "kms_key_arn" {
  description = "The environment's key for data at rest."
  value       = aws_kms_key.this.arn
}

output "files_bucket" {
  description = "The files bucket's name (STORAGE_URL=s3://NAME/PREFIX)."
  value       = aws_s3_bucket.files.bucket
}

output "files_bucket_arn" {
  description = "The files bucket's ARN."
  value       = aws_s3_bucket.files.arn
}

output "logs_bucket" {
  description = "The access logs bucket's name."
  value       = aws_s3_bucket.logs.bucket
}

output "logs_bucket_domain_name" {
  description = "The access logs bucket's domain name, for CloudFront's logging."
  value       = aws_s3_bucket.logs.bucket_domain_name
}
