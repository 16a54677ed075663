/** Hand-written CDKTF binding of `data "jobgate_job"` (see docs/provider.md). */
import { stringToTerraform, TerraformDataSource, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { hclString, JobOutcome, resourceBase } from "./provider-outcome.js";

export interface DataJobgateJobConfig extends TerraformMetaArguments {
  /** The job to read (without waiting). */
  readonly jobId: string;
}

export class DataJobgateJob extends TerraformDataSource {
  static readonly tfResourceType = "jobgate_job";
  readonly config: DataJobgateJobConfig;
  /** The job's state as tokens: `jobId`, `status`, `resultJson`, `result(key)`, … */
  readonly outcome: JobOutcome;

  constructor(scope: Construct, id: string, config: DataJobgateJobConfig) {
    super(scope, id, resourceBase(DataJobgateJob.tfResourceType, config));
    this.config = config;
    this.outcome = new JobOutcome(this);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return { job_id: stringToTerraform(this.config.jobId) };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { job_id: hclString(this.config.jobId) };
  }
}
