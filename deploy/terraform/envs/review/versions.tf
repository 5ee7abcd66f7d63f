terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # terraform init -backend-config="bucket=STATE_BUCKET" -backend-config="region=REGION"
  backend "s3" {
    key          = "formwork/review.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
