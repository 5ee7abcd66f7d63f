output "role_arn" {
  description = "The role the CI system assumes."
  value       = aws_iam_role.this.arn
}
