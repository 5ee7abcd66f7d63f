# A generated secret is 64 random hexadecimal digits, stays the same from one apply to the next,
# and is made anew when its generation is raised.

mock_provider "aws" {
  source = "../../tests/mocks"
}

variables {
  name        = "formwork-test/metrics-token"
  description = "A test"
  kms_key_arn = "arn:aws:kms:eu-west-2:123456789012:key/00000000-0000-0000-0000-000000000000"
}

run "first" {
  command = apply

  assert {
    condition     = can(regex("^[0-9a-f]{64}$", output.value))
    error_message = "The value must be 64 hexadecimal digits."
  }

  assert {
    condition     = aws_secretsmanager_secret_version.this.secret_string == output.value && aws_secretsmanager_secret.this.kms_key_id == var.kms_key_arn
    error_message = "Secrets Manager holds the value, under the environment's key."
  }
}

run "again" {
  command = apply

  assert {
    condition     = output.value == run.first.value
    error_message = "Applying again must keep the value."
  }
}

run "next_generation" {
  command = apply
  variables {
    generation = 2
  }

  assert {
    condition     = output.value != run.first.value && can(regex("^[0-9a-f]{64}$", output.value))
    error_message = "Raising the generation must make a new value."
  }
}
