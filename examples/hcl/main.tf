# The deploy-site example in plain HCL, for stacks migrating off CDKTF (archived upstream
# in December 2025): `terraform_data` (built into Terraform >= 1.4, no provider to
# download) with `local-exec` provisioners running the jobgate CLI.
#
#   export JOBGATE_TOKEN=mfk_dev_all          # only ever from the environment
#   export JOBGATE_API_URL=http://127.0.0.1:8080  # the default; the CLI reads it too
#   terraform init && terraform apply -var build_job_id=job_...
#
# Data reaches the CLI through `environment`, never through `command`: the command holds
# only the CLI and a validated timeout. `$${JOBGATE_CLI:-...}` is shell syntax (the `$$`
# escapes it from Terraform): set JOBGATE_CLI to start the CLI some other way, e.g.
# `JOBGATE_CLI=jobgate` for a global install; the default finds the project's installed
# jobgate from any directory inside the project.

terraform {
  required_version = ">= 1.4"
}

variable "site_id" {
  type    = string
  default = "site_1"
}

variable "deploy_duration_ms" {
  type        = number
  default     = 8000
  description = "How long the demo deploy runs on jobgate serve (the operation's duration_ms)."
}

variable "build_job_id" {
  type        = string
  description = "A build job started elsewhere (e.g. `jobgate call POST /v1/sites/site_1/builds`) that must finish too."
  validation {
    condition     = can(regex("^[A-Za-z0-9_.:-]+$", var.build_job_id))
    error_message = "The build_job_id must be a job id such as job_01J9SC...."
  }
}

variable "timeout" {
  type        = string
  default     = "10m"
  description = "How long each wait may take (Go-style duration: 90s, 30m, 1h30m)."
  validation {
    condition     = can(regex("^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$", var.timeout))
    error_message = "The timeout must be a duration such as 90s, 30m or 1h30m."
  }
}

locals {
  deploy_path = "/v1/sites/${var.site_id}/deploys"
  deploy_body = jsonencode({ duration_ms = var.deploy_duration_ms })
}

# POST .../deploys answers 202 with a job; apply waits here until the job succeeds and
# fails, with the job's error, if it fails. Replaced (and so re-run) only when the call changes.
resource "terraform_data" "deploy" {
  triggers_replace = {
    method      = "POST"
    path        = local.deploy_path
    body_sha256 = sha256(local.deploy_body)
  }

  provisioner "local-exec" {
    command = "exec $${JOBGATE_CLI:-npx --no-install jobgate} call --wait --timeout ${var.timeout}"
    environment = {
      JOBGATE_CALL_METHOD = "POST"
      JOBGATE_CALL_PATH   = local.deploy_path
      JOBGATE_CALL_BODY   = local.deploy_body
    }
  }
}

# Waits on a job another system started; re-run only when the job id changes.
resource "terraform_data" "build" {
  triggers_replace = {
    job_id = var.build_job_id
  }

  provisioner "local-exec" {
    command = "exec $${JOBGATE_CLI:-npx --no-install jobgate} jobs wait --timeout ${var.timeout}"
    environment = {
      JOBGATE_JOB_ID = var.build_job_id
    }
  }

  depends_on = [terraform_data.deploy]
}

output "waited_on_build" {
  value = terraform_data.build.triggers_replace.job_id
}
