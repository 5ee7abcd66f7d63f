terraform {
  required_version = ">= 1.11"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Each change's app has its own state, named at init:
  #   terraform init -backend-config="bucket=STATE_BUCKET" -backend-config="region=REGION" \
  #     -backend-config="key=formwork/review-apps/CHANGE.tfstate"
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
