/**
 * `jobgate_job_wait` (spec §11): waits until a job another system started is terminal,
 * and exposes its outcome. `job_id` changing replaces it (a new wait); `timeouts`
 * changing updates it in place, doing nothing. Refresh as in read-job.ts; destroy only
 * forgets it; `terraform import jobgate_job_wait.x job_…` adopts a job (read once).
 */
import { isIdentifier } from "../../../client/index.js";
import { isUnknown, record, type CtyObject } from "../cty/values.js";
import { errorDiag, type Diagnostic } from "../diagnostics.js";
import type { ProviderContext } from "../provider-context.js";
import { objectTypeOf, type SchemaSpec } from "../schema.js";
import type { ApplyRequest, PlanRequest, PlanResult, ResourceDefinition, StateResult } from "./definition.js";
import {
  attr,
  createTimeoutMs,
  encodePrivate,
  ID_ATTRIBUTE,
  OUTCOME_ATTRIBUTES,
  outcomeValues,
  plannedJobId,
  plannedOutcome,
  sameValue,
  TIMEOUTS_BLOCK,
  validateJobId,
  validateTimeouts,
  withValues,
} from "./job-attributes.js";
import { readJobState } from "./read-job.js";
import { waitForTerminal } from "./wait-for-job.js";

export const JOB_WAIT_TYPE = "jobgate_job_wait";

const schema: SchemaSpec = {
  version: 0,
  block: {
    description:
      "Waits until a job — usually one another system or resource started — finishes, and exposes its outcome (`result`, `status`, …). Changing `job_id` is a new wait; destroy only removes it from the state. Import with `terraform import jobgate_job_wait.NAME job_…`.",
    attributes: [
      ID_ATTRIBUTE,
      { name: "job_id", type: "string", required: true, description: "The job to wait for (`job_…`). Changing it replaces the resource." },
      ...OUTCOME_ATTRIBUTES,
    ],
    blocks: [TIMEOUTS_BLOCK],
  },
};

function validate(config: CtyObject): Diagnostic[] {
  return [...validateJobId(attr(config, "job_id"), ["job_id"]), ...validateTimeouts(config)];
}

function plan({ prior, config }: PlanRequest): PlanResult {
  const jobId = attr(config, "job_id");
  const args = record([
    ["job_id", jobId],
    ["timeouts", attr(config, "timeouts")],
  ]);
  if (prior !== null && sameValue(attr(prior, "job_id"), jobId)) return { planned: withValues(prior, args), requiresReplace: [], diagnostics: [] };
  const planned = withValues(withValues(args, plannedOutcome()), record([["id", isUnknown(jobId) ? plannedJobId() : jobId]]));
  return { planned, requiresReplace: prior === null ? [] : [["job_id"]], diagnostics: [] };
}

async function apply({ prior, planned }: ApplyRequest, ctx: ProviderContext): Promise<StateResult> {
  if (prior !== null) return { state: planned, private: Buffer.alloc(0), diagnostics: [] };
  const client = ctx.client();
  if (!("waitForJob" in client)) return { state: null, private: Buffer.alloc(0), diagnostics: [client] };
  const jobId = planned.job_id as string;
  const outcome = await waitForTerminal(client, jobId, {
    timeoutMs: createTimeoutMs(planned),
    stopSignal: ctx.stopSignal,
    logger: ctx.logger,
    typeName: JOB_WAIT_TYPE,
  });
  // Never seen (not found, refused, unreachable from the start): nothing to record.
  if (outcome.job === undefined) return { state: null, private: Buffer.alloc(0), diagnostics: outcome.diagnostics };
  const state = withValues(planned, withValues(outcomeValues(outcome.job), record([["id", jobId]])));
  return { state, private: encodePrivate({ job_id: jobId, ...(outcome.etag !== undefined ? { etag: outcome.etag } : {}) }), diagnostics: outcome.diagnostics };
}

async function read(state: CtyObject, priv: Buffer, ctx: ProviderContext): Promise<StateResult> {
  return readJobState(JOB_WAIT_TYPE, state, priv, ctx);
}

async function importState(id: string): Promise<StateResult> {
  if (!isIdentifier(id)) {
    return {
      state: null,
      private: Buffer.alloc(0),
      diagnostics: [errorDiag("Invalid import id", `Expected a job id such as job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK, got ${JSON.stringify(id)}.`)],
    };
  }
  // The outcome is filled in by the ReadResource Terraform makes right after an import.
  const state = record([
    ["id", id],
    ["job_id", id],
    ["status", null],
    ["progress", null],
    ["result", null],
    ["error_code", null],
    ["error_message", null],
    ["timeouts", null],
  ]);
  return { state, private: encodePrivate({ job_id: id }), diagnostics: [] };
}

export const jobWaitResource: ResourceDefinition = {
  typeName: JOB_WAIT_TYPE,
  schema,
  type: objectTypeOf(schema.block),
  validate,
  plan,
  apply,
  read,
  import: importState,
};
