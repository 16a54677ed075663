/**
 * The example stack: deploy a site through an operation that answers 202 (and wait for
 * its job), then wait on a build job started elsewhere — by CI, say — whose id comes in
 * as a variable. Runs against `jobgate serve` (`npm start`); see examples/README.md.
 */
import { Fn, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
// In your own project: import { AsyncOperation, JobWait } from "jobgate";
import { AsyncOperation, JobWait, type Runner } from "../../index.js";

export interface DeploySiteStackProps {
  /**
   * Argv that starts the jobgate CLI, for runs outside a project that has jobgate
   * installed (the tests use it).
   * @default — `$JOBGATE_CLI`, else `npx --no-install jobgate`
   */
  readonly cli?: readonly string[];
  /**
   * `"provider"`: the same stack on the jobgate provider (`jobgate provider install`), which
   * also outputs the deploy's `release_id` and the build's `build_id`.
   * @default "terraform_data"
   */
  readonly runner?: Runner;
}

export class DeploySiteStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: DeploySiteStackProps = {}) {
    super(scope, id);

    const siteId = new TerraformVariable(this, "site_id", {
      type: "string",
      default: "site_1",
      description: "The site to deploy.",
    });
    const deployDurationMs = new TerraformVariable(this, "deploy_duration_ms", {
      type: "number",
      default: 8000,
      description: "How long the demo deploy runs on jobgate serve (the operation's duration_ms).",
    });
    const buildJobId = new TerraformVariable(this, "build_job_id", {
      type: "string",
      description: "A build job started elsewhere (e.g. `jobgate call POST /v1/sites/site_1/builds`) that must finish too.",
    });

    // POST …/deploys answers 202 with a job; apply waits here until it succeeds, and
    // fails with the job's error if it fails. Re-applied only when method, path or body
    // change (this body is only known at apply time, so Terraform hashes it).
    const deploy = new AsyncOperation(this, "deploy", {
      method: "POST",
      path: `/v1/sites/${siteId.stringValue}/deploys`,
      body: Fn.jsonencode({ duration_ms: deployDurationMs.numberValue }),
      timeout: "10m",
      ...(props.runner === "provider" ? { runner: "provider" as const } : { cli: props.cli, runner: props.runner }),
    });

    // Waits after the deploy; re-run only when the build job id changes.
    const build = new JobWait(this, "build", {
      jobId: buildJobId.stringValue,
      dependsOn: [deploy],
      timeout: "10m",
      ...(props.runner === "provider" ? { runner: "provider" as const } : { cli: props.cli, runner: props.runner }),
    });

    new TerraformOutput(this, "waited_on_build", {
      value: props.runner === "provider" ? build.jobId : build.resource.getStringAttribute("triggers_replace.job_id"),
    });
    if (props.runner === "provider") {
      // Only the provider runner turns a job's result into a value.
      new TerraformOutput(this, "release_id", { value: deploy.result("release_id") });
      new TerraformOutput(this, "build_id", { value: build.result("build_id") });
    }
  }
}
