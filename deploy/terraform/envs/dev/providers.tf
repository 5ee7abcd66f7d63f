provider "aws" {
  region = var.region
  default_tags {
    tags = { Service = "formwork", Environment = "dev", ManagedBy = "terraform" }
  }
}

# CloudFront's certificate and web application firewall live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { Service = "formwork", Environment = "dev", ManagedBy = "terraform" }
  }
}
