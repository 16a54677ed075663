/**
 * `JobWait`: blocks `terraform apply` until a job — usually one another resource started —
 * finishes. Runs `jobgate jobs wait` from a local-exec provisioner; the job id reaches
 * it as `JOBGATE_JOB_ID` in the provisioner's environment, never in the command line.
 *
 * Exit codes of the CLI decide the apply (spec §9): 0 lets it go on; 1 (the job failed,
 * `error.code: error.message` printed), 3 (timeout, last state printed), 4, 5, 6 fail it.
 * The resource is replaced — and the wait re-run — only when the job id changes.
 */
import type { ITerraformDependable, TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { ENV } from "../../api/env.js";
import { isIdentifier } from "../../api/identifiers.js";
import { cliCommand } from "./cli-command.js";
import { isApplyTimeValue, propLabel, requireString, ConstructPropsError } from "./prop-checks.js";
import { connectionEnvironment, normalizeRunnerProps, type NormalizedRunnerProps, type RunnerProps } from "./runner-props.js";
import { createRunnerResource } from "./runner-resource.js";

export interface JobWaitProps extends RunnerProps {
  /**
   * The job to wait on: a literal id such as `"job_01J9SC…"` or, usually, another
   * resource's attribute or a variable. Passed as `JOBGATE_JOB_ID`.
   */
  readonly jobId: string;
}

export interface NormalizedJobWaitProps extends NormalizedRunnerProps {
  readonly jobId: string;
}

const KIND = "JobWait";

export function normalizeJobWaitProps(id: string, props: JobWaitProps): NormalizedJobWaitProps {
  if (props === null || typeof props !== "object") {
    throw new ConstructPropsError(`${KIND} ${JSON.stringify(id)}: props are required, e.g. { jobId: "job_…" }`);
  }
  const jobId = requireString(propLabel(KIND, id, "jobId"), props.jobId);
  if (!isApplyTimeValue(jobId) && !isIdentifier(jobId)) {
    throw new ConstructPropsError(
      `${propLabel(KIND, id, "jobId")} must be a job id such as "job_01J9SC…" (letters, digits, "_", ".", ":", "-"), got ${JSON.stringify(jobId)}`,
    );
  }
  return { ...normalizeRunnerProps(KIND, id, props, { [ENV.jobId]: "jobId" }), jobId };
}

export class JobWait extends Construct implements ITerraformDependable {
  /** The `terraform_data` or `null_resource` carrying the provisioner. */
  readonly resource: TerraformResource;
  /** The props after defaults and checks. */
  readonly props: NormalizedJobWaitProps;

  constructor(scope: Construct, id: string, props: JobWaitProps) {
    super(scope, id);
    this.props = normalizeJobWaitProps(id, props);
    const p = this.props;
    this.resource = createRunnerResource(this, {
      runner: p.runner,
      triggers: { job_id: p.jobId },
      stored: {},
      dependsOn: p.dependsOn,
      provisioners: [
        {
          command: cliCommand(p.cli, ["jobs", "wait", "--timeout", p.timeout]),
          environment: { ...connectionEnvironment(p), [ENV.jobId]: p.jobId },
          onFailure: p.onFailure,
          quiet: p.quiet,
        },
      ],
    });
  }

  /** Lets other resources `dependsOn` this wait. */
  get fqn(): string {
    return this.resource.fqn;
  }
}
