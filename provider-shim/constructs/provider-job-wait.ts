/** Hand-written CDKTF binding of `jobgate_job_wait` (see docs/provider.md). */
import { stringToTerraform, TerraformResource, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { hclString, JobOutcome, timeoutsToHcl, timeoutsToTerraform, type JobgateTimeouts, resourceBase } from "./provider-outcome.js";

export interface JobgateJobWaitConfig extends TerraformMetaArguments {
  /** The job to wait for; changing it replaces the resource. */
  readonly jobId: string;
  /** @default { create: "30m" } */
  readonly timeouts?: JobgateTimeouts;
}

export class JobgateJobWait extends TerraformResource {
  static readonly tfResourceType = "jobgate_job_wait";
  readonly config: JobgateJobWaitConfig;
  /** The job's outcome as tokens: `jobId`, `status`, `resultJson`, `result(key)`, … */
  readonly outcome: JobOutcome;

  constructor(scope: Construct, id: string, config: JobgateJobWaitConfig) {
    super(scope, id, { ...resourceBase(JobgateJobWait.tfResourceType, config), provisioners: config.provisioners, connection: config.connection });
    this.config = config;
    this.outcome = new JobOutcome(this);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { job_id: stringToTerraform(this.config.jobId), timeouts: timeoutsToTerraform(this.config.timeouts) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const attrs: Record<string, unknown> = {
      job_id: hclString(this.config.jobId),
    };
    const timeouts = timeoutsToHcl(this.config.timeouts);
    if (timeouts !== undefined) attrs.timeouts = timeouts;
    return attrs;
  }
}
