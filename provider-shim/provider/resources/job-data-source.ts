/**
 * `data "jobgate_job"` (spec §11): a job's current state, read once without waiting —
 * at plan time when `job_id` is known then, else during apply.
 */
import { record, type CtyObject } from "../cty/values.js";
import type { Diagnostic } from "../diagnostics.js";
import type { ProviderContext } from "../provider-context.js";
import { objectTypeOf, type SchemaSpec } from "../schema.js";
import type { DataSourceDefinition } from "./definition.js";
import { attr, ID_ATTRIBUTE, OUTCOME_ATTRIBUTES, outcomeValues, validateJobId, withValues } from "./job-attributes.js";
import { apiErrorDiag } from "./wait-for-job.js";

export const JOB_DATA_SOURCE_TYPE = "jobgate_job";

const schema: SchemaSpec = {
  version: 0,
  block: {
    description:
      "A job's current state, read without waiting (`status` may be `queued` or `running`). To wait until it finishes, use the `jobgate_job_wait` resource.",
    attributes: [ID_ATTRIBUTE, { name: "job_id", type: "string", required: true, description: "The job to read (`job_…`)." }, ...OUTCOME_ATTRIBUTES],
  },
};

function validate(config: CtyObject): Diagnostic[] {
  return validateJobId(attr(config, "job_id"), ["job_id"]);
}

async function read(config: CtyObject, ctx: ProviderContext): Promise<{ state: CtyObject | null; diagnostics: readonly Diagnostic[] }> {
  const client = ctx.client();
  if (!("getJob" in client)) return { state: null, diagnostics: [client] };
  const jobId = config.job_id as string;
  try {
    const read = await client.getJob(jobId, { signal: ctx.stopSignal });
    if (read.notModified) throw new Error("unexpected 304 without If-None-Match");
    return {
      state: withValues(
        record([
          ["job_id", jobId],
          ["id", read.job.id],
        ]),
        outcomeValues(read.job),
      ),
      diagnostics: [],
    };
  } catch (error) {
    return { state: null, diagnostics: [apiErrorDiag(error, `reading job ${jobId}`)] };
  }
}

export const jobDataSource: DataSourceDefinition = {
  typeName: JOB_DATA_SOURCE_TYPE,
  schema,
  type: objectTypeOf(schema.block),
  validate,
  read,
};
