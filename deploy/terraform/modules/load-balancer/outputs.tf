output "listener_arn" {
  description = "The HTTPS listener services add their forwarding rules to."
  value       = aws_lb_listener.https.arn
}

output "security_group_id" {
  description = "The load balancer's security group, which the tasks admit on 8080."
  value       = aws_security_group.this.id
}

output "arn_suffix" {
  description = "The load balancer's ARN suffix, for CloudWatch metrics and request-count scaling."
  value       = aws_lb.this.arn_suffix
}

output "origin_domain_name" {
  description = "The name CloudFront connects to."
  value       = aws_route53_record.origin.fqdn
}

output "origin_header" {
  description = "The header CloudFront must send, which the services' forwarding rules require."
  value = {
    name  = "X-Origin-Verify"
    value = module.origin_secret.value
  }
  sensitive = true
}
