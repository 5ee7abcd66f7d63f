output "distribution_id" {
  description = "The distribution, e.g. to invalidate its cache."
  value       = aws_cloudfront_distribution.this.id
}

output "domain_name" {
  description = "CloudFront's own name for the distribution."
  value       = aws_cloudfront_distribution.this.domain_name
}
