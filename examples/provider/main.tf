# The jobgate provider in plain HCL: a deploy whose release id becomes a Terraform value
# that a second resource and an output use — what local-exec cannot do.
#
#   npm ci && npm start                              # terminal 1: jobgate serve on :8080
#   node dist/provider-shim/cli/main.js provider install   # once: ~/.terraform.d/plugins/… (npx jobgate … where jobgate is a dependency)
#   export JOBGATE_TOKEN=mfk_dev_all                 # only ever from the environment
#   cd examples/provider && terraform init && terraform apply
#
# See docs/provider.md for every argument and attribute.

terraform {
  required_version = ">= 1.4"
  required_providers {
    jobgate = {
      source = "jobgate/jobgate"
    }
  }
}

# api_url, token, forge_version and ca_file default from JOBGATE_API_URL, JOBGATE_TOKEN,
# JOBGATE_FORGE_VERSION and JOBGATE_CA_FILE; keep the token out of this file.
provider "jobgate" {}

variable "site_id" {
  type    = string
  default = "site_1"
}

variable "deploy_duration_ms" {
  type        = number
  default     = 5000
  description = "How long the demo deploy runs on jobgate serve (the operation's duration_ms)."
}

# POST …/deploys answers 202 with a job; apply waits here until it succeeds (or fails the
# apply with the job's error). A change of path, body or triggers is a new deploy.
resource "jobgate_operation" "deploy" {
  path = "/v1/sites/${var.site_id}/deploys"
  body = jsonencode({ duration_ms = var.deploy_duration_ms })

  timeouts {
    create = "30m"
  }
}

# The second resource: a build that must run after the deploy, and that names the
# deploy's release in its body — a value only the provider can hand over.
resource "jobgate_operation" "smoke_build" {
  path = "/v1/sites/${var.site_id}/builds"
  body = jsonencode({
    duration_ms = 1000
    release_id  = jsondecode(jobgate_operation.deploy.result).release_id
  })
}

output "release_id" {
  value = jsondecode(jobgate_operation.deploy.result).release_id
}

output "build_id" {
  value = jsondecode(jobgate_operation.smoke_build.result).build_id
}
