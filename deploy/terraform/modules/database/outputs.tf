output "address" {
  description = "The host name formwork connects to."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "The port formwork connects to."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "The database formwork uses."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "The user formwork connects as."
  value       = aws_db_instance.this.username
}

output "master_secret_arn" {
  description = "The Secrets Manager secret, made and rotated by RDS, whose `password` key is the master password."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "The database's security group, to which services add their tasks."
  value       = aws_security_group.this.id
}

output "instance_id" {
  description = "The instance's identifier, for alarms."
  value       = aws_db_instance.this.identifier
}

output "allocated_storage_gb" {
  description = "Storage at the start, for the free-storage alarm."
  value       = aws_db_instance.this.allocated_storage
}

output "protection" {
  description = "How the instance is protected: encryption, exposure, standby, deletion protection and backups."
  value = {
    storage_encrypted     = aws_db_instance.this.storage_encrypted
    publicly_accessible   = aws_db_instance.this.publicly_accessible
    multi_az              = aws_db_instance.this.multi_az
    deletion_protection   = aws_db_instance.this.deletion_protection
    backup_retention_days = aws_db_instance.this.backup_retention_period
    final_snapshot        = !aws_db_instance.this.skip_final_snapshot
  }
}
