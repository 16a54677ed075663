/** Hand-written CDKTF binding of `jobgate_operation` (see docs/provider.md). */
import { hashMapper, stringToHclTerraform, stringToTerraform, TerraformResource, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { hclString, JobOutcome, timeoutsToHcl, timeoutsToTerraform, type JobgateTimeouts, resourceBase } from "./provider-outcome.js";

export interface JobgateOperationConfig extends TerraformMetaArguments {
  /** @default "POST" */
  readonly method?: string;
  /** The operation's path on the API, e.g. `/v1/sites/site_1/deploys`. */
  readonly path: string;
  /** JSON text. @default — no body */
  readonly body?: string;
  /** @default — derived from method, path, body and triggers */
  readonly idempotencyKey?: string;
  /** Changing any of them runs the operation again. @default — none */
  readonly triggers?: Readonly<Record<string, string>>;
  /** @default { create: "30m" } */
  readonly timeouts?: JobgateTimeouts;
}

export class JobgateOperation extends TerraformResource {
  static readonly tfResourceType = "jobgate_operation";
  readonly config: JobgateOperationConfig;
  /** The job's outcome as tokens: `jobId`, `status`, `resultJson`, `result(key)`, … */
  readonly outcome: JobOutcome;

  constructor(scope: Construct, id: string, config: JobgateOperationConfig) {
    super(scope, id, { ...resourceBase(JobgateOperation.tfResourceType, config), provisioners: config.provisioners, connection: config.connection });
    this.config = config;
    this.outcome = new JobOutcome(this);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      method: stringToTerraform(c.method),
      path: stringToTerraform(c.path),
      body: stringToTerraform(c.body),
      idempotency_key: stringToTerraform(c.idempotencyKey),
      triggers: c.triggers === undefined ? undefined : hashMapper(stringToTerraform)(c.triggers),
      timeouts: timeoutsToTerraform(c.timeouts),
    };
  }

  protected override synthesizeHclAttributes(): Record<string, unknown> {
    const c = this.config;
    const simple = hclString;
    const attrs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries({
      method: simple(c.method),
      path: simple(c.path),
      body: simple(c.body),
      idempotency_key: simple(c.idempotencyKey),
    })) {
      if (value !== undefined) attrs[name] = value;
    }
    if (c.triggers !== undefined)
      attrs.triggers = { value: hashMapper(stringToHclTerraform)(c.triggers) as unknown, isBlock: false, type: "map", storageClassType: "stringMap" };
    const timeouts = timeoutsToHcl(c.timeouts);
    if (timeouts !== undefined) attrs.timeouts = timeouts;
    return attrs;
  }
}
