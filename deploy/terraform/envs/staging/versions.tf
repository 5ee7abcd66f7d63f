terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # The state bucket and its region are given to terraform init (docs/deployment.md):
  #   terraform init -backend-config="bucket=STATE_BUCKET" -backend-config="region=REGION"
  backend "s3" {
    key          = "formwork/staging.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
