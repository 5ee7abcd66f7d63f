provider "aws" {
  region = var.region
  default_tags {
    tags = { Service = "formwork", Environment = "review", ManagedBy = "terraform" }
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = { Service = "formwork", Environment = "review", ManagedBy = "terraform" }
  }
}
