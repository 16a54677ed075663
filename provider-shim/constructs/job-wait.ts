/**
 * `JobWait`: blocks `terraform apply` until a job — usually one another resource started —
 * finishes. Runs `jobgate jobs wait` from a local-exec provisioner; the job id reaches
 * it as `JOBGATE_JOB_ID` in the provisioner's environment, never in the command line.
 *
 * Exit codes of the CLI decide the apply (spec §9): 0 lets it go on; 1 (the job failed,
 * `error.code: error.message` printed), 3 (timeout, last state printed), 4, 5, 6 fail it.
 * The resource is replaced — and the wait re-run — only when the job id changes.
 *
 * With `runner: "provider"` it is the jobgate provider's `jobgate_job_wait` instead (no
 * command at all), and the job's outcome is there for other resources: `jobId`, `status`,
 * `resultJson`, `result(key)`.
 */
import type { ITerraformDependable, TerraformResource } from "cdktf";
import { Construct } from "constructs";
import { ENV } from "../../api/env.js";
import { isIdentifier } from "../../api/identifiers.js";
import { cliCommand } from "./cli-command.js";
import { isApplyTimeValue, propLabel, requireString, ConstructPropsError } from "./prop-checks.js";
import { connectionEnvironment, normalizeRunnerProps, type NormalizedRunnerProps, type RunnerProps } from "./runner-props.js";
import { JobgateJobWait } from "./provider-job-wait.js";
import type { JobOutcome } from "./provider-outcome.js";
import { jobgateProviderFor, outcomeOrThrow } from "./provider-runner.js";
import { createRunnerResource, RESOURCE_ID } from "./runner-resource.js";

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
  /** The `terraform_data` or `null_resource` carrying the provisioner, or the `jobgate_job_wait`. */
  readonly resource: TerraformResource;
  /** The props after defaults and checks. */
  readonly props: NormalizedJobWaitProps;
  readonly #outcome: JobOutcome | undefined;

  constructor(scope: Construct, id: string, props: JobWaitProps) {
    super(scope, id);
    this.props = normalizeJobWaitProps(id, props);
    const p = this.props;
    if (p.runner === "provider") {
      const provider = jobgateProviderFor(this, p.apiUrl, p.forgeVersion);
      const resource = new JobgateJobWait(this, RESOURCE_ID, {
        jobId: p.jobId,
        timeouts: { create: p.timeout },
        ...(provider !== undefined ? { provider } : {}),
        ...(p.dependsOn.length > 0 ? { dependsOn: [...p.dependsOn] } : {}),
      });
      this.resource = resource;
      this.#outcome = resource.outcome;
      return;
    }
    this.#outcome = undefined;
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

  /** The job's id: the provider's attribute with `runner: "provider"`, else the `jobId` prop. */
  get jobId(): string {
    return this.#outcome?.jobId ?? this.props.jobId;
  }
  /** The job's final status (`runner: "provider"` only). */
  get status(): string {
    return outcomeOrThrow("JobWait", this.node.id, this.#outcome, '"status"').status;
  }
  /** The job's result as JSON text (`runner: "provider"` only). */
  get resultJson(): string {
    return outcomeOrThrow("JobWait", this.node.id, this.#outcome, '"resultJson"').resultJson;
  }
  /** One member of the job's result, e.g. `result("build_id")` (`runner: "provider"` only). */
  result(key: string): string {
    return outcomeOrThrow("JobWait", this.node.id, this.#outcome, `result(${JSON.stringify(key)})`).result(key);
  }
}
