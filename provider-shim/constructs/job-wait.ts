/**
 * `JobWait`: blocks `terraform apply` until a job — usually one another resource started —
 * finishes, or until several do (`jobIds`: all must succeed). Runs `jobgate jobs wait`
 * from a local-exec provisioner; the ids reach it as `JOBGATE_JOB_ID` / `JOBGATE_JOB_IDS`
 * (comma-separated) in the provisioner's environment, never in the command line.
 *
 * Exit codes of the CLI decide the apply (spec §9): 0 lets it go on; 1 (the job failed,
 * `error.code: error.message` printed), 3 (timeout, last state printed), 4, 5, 6 fail it.
 * The resource is replaced — and the wait re-run — only when the job id(s) change.
 *
 * With `runner: "provider"` it is the jobgate provider's `jobgate_job_wait` instead (no
 * command at all), and the job's outcome is there for other resources: `jobId`, `status`,
 * `resultJson`, `result(key)`.
 */
import { Fn, Token, type ITerraformDependable, type TerraformResource } from "cdktf";
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
   * @default none: give `jobId` or `jobIds`
   */
  readonly jobId?: string;
  /**
   * Several jobs to wait on at once, all of which must succeed (a fan-out: three builds,
   * one wait): ids or references, non-empty, each once, or a list reference. Passed as
   * `JOBGATE_JOB_IDS`, comma-separated; the apply fails with the first failed job's error,
   * after every job has finished.
   * @default none: give `jobId` or `jobIds`
   */
  readonly jobIds?: readonly string[];
}

export interface NormalizedJobWaitProps extends NormalizedRunnerProps {
  /** The one job, or the ids joined with commas (a Terraform expression when they are references). */
  readonly jobId: string;
  /** The ids as given, when `jobIds` was. */
  readonly jobIds: readonly string[] | undefined;
}

const KIND = "JobWait";

export function normalizeJobWaitProps(id: string, props: JobWaitProps): NormalizedJobWaitProps {
  if (props === null || typeof props !== "object") {
    throw new ConstructPropsError(`${KIND} ${JSON.stringify(id)}: props are required, e.g. { jobId: "job_…" }`);
  }
  if (props.jobIds !== undefined) {
    if (props.jobId !== undefined) throw new ConstructPropsError(`${KIND} ${JSON.stringify(id)}: give "jobId" or "jobIds", not both`);
    const jobIds = checkJobIds(propLabel(KIND, id, "jobIds"), props.jobIds);
    const joined = Token.isUnresolved(jobIds) ? Fn.join(",", jobIds as string[]) : jobIds.join(",");
    return { ...normalizeRunnerProps(KIND, id, props, { [ENV.jobId]: "jobIds", [ENV.jobIds]: "jobIds" }), jobId: joined, jobIds };
  }
  const jobId = requireString(propLabel(KIND, id, "jobId"), props.jobId);
  checkJobId(propLabel(KIND, id, "jobId"), jobId);
  return { ...normalizeRunnerProps(KIND, id, props, { [ENV.jobId]: "jobId", [ENV.jobIds]: "jobId" }), jobId, jobIds: undefined };
}

function checkJobId(label: string, jobId: string): void {
  if (!isApplyTimeValue(jobId) && !isIdentifier(jobId)) {
    throw new ConstructPropsError(`${label} must be a job id such as "job_01J9SC…" (letters, digits, "_", ".", ":", "-"), got ${JSON.stringify(jobId)}`);
  }
}

/** Non-empty, each an id or a reference, none twice; a list reference passes whole (Terraform checks it). */
function checkJobIds(label: string, value: unknown): readonly string[] {
  if (Token.isUnresolved(value)) return value as string[];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConstructPropsError(`${label} must be a non-empty array of job ids (or references to them), such as ["job_01J9SC…", build.jobId]`);
  }
  const seen = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const item = requireString(`${label}[${index}]`, entry);
    checkJobId(`${label}[${index}]`, item);
    if (seen.has(item)) throw new ConstructPropsError(`${label}[${index}]: ${JSON.stringify(item)} is given twice`);
    seen.add(item);
  });
  return [...(value as string[])];
}

export class JobWait extends Construct implements ITerraformDependable {
  /** The `terraform_data` or `null_resource` carrying the provisioner, or the `jobgate_job_wait`. */
  readonly resource: TerraformResource;
  /** The props after defaults and checks. */
  readonly props: NormalizedJobWaitProps;
  /** With `runner: "provider"` and `jobIds`: one `jobgate_job_wait` per job, in the order given. */
  readonly jobWaits: readonly JobgateJobWait[];
  readonly #outcome: JobOutcome | undefined;

  constructor(scope: Construct, id: string, props: JobWaitProps) {
    super(scope, id);
    this.props = normalizeJobWaitProps(id, props);
    const p = this.props;
    this.jobWaits = [];
    if (p.runner === "provider" && p.jobIds !== undefined) {
      // One resource per job, waited on in parallel; a terraform_data after them all is what others depend on.
      if (Token.isUnresolved(p.jobIds)) {
        throw new ConstructPropsError(
          `${propLabel(KIND, id, "jobIds")} must be an array (of ids or references) with runner: "provider": it makes one jobgate_job_wait per job`,
        );
      }
      const provider = jobgateProviderFor(this, p.apiUrl, p.forgeVersion);
      this.jobWaits = p.jobIds.map(
        (jobId, index) =>
          new JobgateJobWait(this, `${RESOURCE_ID}-${index}`, {
            jobId,
            timeouts: { create: p.timeout },
            ...(provider !== undefined ? { provider } : {}),
            ...(p.dependsOn.length > 0 ? { dependsOn: [...p.dependsOn] } : {}),
          }),
      );
      this.#outcome = undefined;
      this.resource = createRunnerResource(this, {
        runner: "terraform_data",
        triggers: { job_ids: p.jobId },
        stored: {},
        dependsOn: this.jobWaits,
        provisioners: [],
      });
      return;
    }
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
      triggers: p.jobIds === undefined ? { job_id: p.jobId } : { job_ids: p.jobId },
      stored: {},
      dependsOn: p.dependsOn,
      provisioners: [
        {
          command: cliCommand(p.cli, ["jobs", "wait", "--timeout", p.timeout]),
          environment: { ...connectionEnvironment(p), ...(p.jobIds === undefined ? { [ENV.jobId]: p.jobId } : { [ENV.jobIds]: p.jobId }) },
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
