output "arn" {
  description = "The secret's ARN (ECS reads a task's secrets by it)."
  value       = aws_secretsmanager_secret.this.arn
}

output "value" {
  description = "The value, for resources that must hold it (CloudFront's origin header)."
  value       = terraform_data.value.output
  sensitive   = true
}
