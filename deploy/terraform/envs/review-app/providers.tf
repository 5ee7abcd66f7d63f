provider "aws" {
  region = var.region
  default_tags {
    tags = { Service = "formwork", Environment = "review", ReviewApp = var.change, ManagedBy = "terraform" }
  }
}
