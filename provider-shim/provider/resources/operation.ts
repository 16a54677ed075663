/**
 * `jobgate_operation` (spec §11): calls an operation that answers `202 Accepted` with a
 * job, then waits for that job; the job's outcome becomes attributes other resources use.
 *
 * - Arguments: `method` (default POST), `path`, `body` (JSON text), `idempotency_key`
 *   (default: derived from method, path, body and triggers), `triggers` (map of strings),
 *   `timeouts { create }` (default 30m).
 * - Any argument change replaces the resource — a new run of the operation. Only a
 *   `timeouts` change updates it in place, doing nothing else.
 * - Create calls the operation and waits; a failed job, a timeout or Ctrl-C fail the
 *   apply and leave the resource tainted with the job's last state.
 * - Refresh never calls the operation again; a terminal job is not even read (it never
 *   changes), and a job the API no longer keeps leaves the state as it was.
 * - Destroy only forgets it. Import is refused: the API does not record the call's
 *   arguments, so import the job as `jobgate_job_wait` instead.
 */
import { createHash } from "node:crypto";
import { formatDuration, IDEMPOTENCY_KEY_PATTERN } from "../../../client/index.js";
import { isUnknown, record, unknown, type CtyObject, type CtyValue } from "../cty/values.js";
import { errorDiag, type Diagnostic, type PathStep } from "../diagnostics.js";
import type { ProviderContext } from "../provider-context.js";
import { objectTypeOf, type SchemaSpec } from "../schema.js";
import type { ApplyRequest, PlanRequest, PlanResult, ResourceDefinition, StateResult } from "./definition.js";
import {
  attr,
  createTimeoutMs,
  encodePrivate,
  ID_ATTRIBUTE,
  JOB_ID_COMPUTED,
  OUTCOME_ATTRIBUTES,
  outcomeValues,
  plannedJobId,
  plannedOutcome,
  sameValue,
  TIMEOUTS_BLOCK,
  validateTimeouts,
  withValues,
} from "./job-attributes.js";
import { readJobState } from "./read-job.js";
import { apiErrorDiag, waitForTerminal } from "./wait-for-job.js";

export const OPERATION_TYPE = "jobgate_operation";
export const DEFAULT_METHOD = "POST";
export const METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;
/** The arguments whose change means a new run. */
export const REPLACING_ARGUMENTS = ["method", "path", "body", "idempotency_key", "triggers"] as const;
/** Derived keys: a fixed prefix and the SHA-256 of the call (method, path, body, triggers). */
export const DERIVED_KEY_PREFIX = "jobgate-tf-";

const schema: SchemaSpec = {
  version: 0,
  block: {
    description:
      "Calls an operation of the jobs API that answers `202 Accepted` with a job, and waits until the job finishes. The job's outcome (`result`, `status`, …) becomes attributes other resources can use. Any argument change is a new run (the resource is replaced); destroy only removes it from the state.",
    attributes: [
      ID_ATTRIBUTE,
      {
        name: "method",
        type: "string",
        optional: true,
        computed: true,
        description: `The HTTP method: ${METHODS.map((m) => `\`${m}\``).join(", ")} (default \`${DEFAULT_METHOD}\`).`,
      },
      { name: "path", type: "string", required: true, description: "The operation's path on the API, starting with `/`, e.g. `/v1/sites/site_1/deploys`." },
      {
        name: "body",
        type: "string",
        optional: true,
        description: "The JSON request body, as text (use `jsonencode(…)`). Stored in the state: put no secrets in it.",
      },
      {
        name: "idempotency_key",
        type: "string",
        optional: true,
        computed: true,
        description:
          "The `Idempotency-Key` of the call. Default: derived from method, path, body and triggers, so a re-run after a timeout or an interrupted apply re-attaches to the same job instead of starting another — and a re-run after a failure gets the same failed job: change `triggers` to run again.",
      },
      {
        name: "triggers",
        type: { map: "string" },
        optional: true,
        description: "Arbitrary strings; changing any of them runs the operation again (with a new derived idempotency key).",
      },
      JOB_ID_COMPUTED,
      ...OUTCOME_ATTRIBUTES,
    ],
    blocks: [TIMEOUTS_BLOCK],
  },
};

/** The derived `Idempotency-Key`: the same call gives the same key on every machine. */
export function deriveIdempotencyKey(method: string, path: string, body: string | null, triggers: Record<string, string> | null): string {
  const sortedTriggers =
    triggers === null
      ? null
      : Object.fromEntries(
          Object.keys(triggers)
            .sort()
            .map((k) => [k, triggers[k]]),
        );
  const identity = JSON.stringify([method, path, body, sortedTriggers]);
  return DERIVED_KEY_PREFIX + createHash("sha256").update(identity, "utf8").digest("hex");
}

function validate(config: CtyObject): Diagnostic[] {
  const diagnostics: Diagnostic[] = [...validateTimeouts(config)];
  const method = attr(config, "method");
  if (typeof method === "string" && !(METHODS as readonly string[]).includes(method)) {
    diagnostics.push(errorDiag("Invalid method", `method must be one of ${METHODS.join(", ")}, got ${JSON.stringify(method)}.`, ["method"]));
  }
  const path = attr(config, "path");
  if (typeof path === "string") {
    if (!path.startsWith("/") || path.startsWith("//")) {
      diagnostics.push(
        errorDiag(
          "Invalid path",
          `path must be a path on the API starting with "/", such as /v1/sites/site_1/deploys (the server is the provider's api_url), got ${JSON.stringify(path)}.`,
          ["path"],
        ),
      );
    } else if (/[\s\x00-\x1f\x7f]/.test(path)) {
      diagnostics.push(
        errorDiag("Invalid path", `path must not contain whitespace or control characters (percent-encode them), got ${JSON.stringify(path)}.`, ["path"]),
      );
    }
  }
  const body = attr(config, "body");
  if (typeof body === "string") {
    try {
      JSON.parse(body);
    } catch (error) {
      diagnostics.push(errorDiag("Invalid body", `body must be JSON text (use jsonencode(…)): ${(error as Error).message}`, ["body"]));
    }
    if (method === "DELETE") diagnostics.push(errorDiag("Invalid body", 'body cannot be sent with method "DELETE"; put the parameters in path.', ["body"]));
  }
  const key = attr(config, "idempotency_key");
  if (typeof key === "string" && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    diagnostics.push(errorDiag("Invalid idempotency_key", "idempotency_key must be 1 to 255 printable ASCII characters without spaces.", ["idempotency_key"]));
  }
  return diagnostics;
}

/** The arguments as they will be: defaults filled in, the key derived when it can be. */
function plannedArguments(config: CtyObject): CtyObject {
  const method = attr(config, "method") ?? DEFAULT_METHOD;
  const path = attr(config, "path");
  const body = attr(config, "body");
  const triggers = attr(config, "triggers");
  let key: CtyValue = attr(config, "idempotency_key");
  if (key === null) {
    const known =
      [method, path, body].every((v) => !isUnknown(v)) &&
      !isUnknown(triggers) &&
      (triggers === null || Object.values(triggers as CtyObject).every((v) => !isUnknown(v)));
    key = known
      ? deriveIdempotencyKey(method as string, path as string, body as string | null, triggers as Record<string, string> | null)
      : unknown({ notNull: true, stringPrefix: DERIVED_KEY_PREFIX });
  }
  return record([
    ["method", method],
    ["path", path],
    ["body", body],
    ["idempotency_key", key],
    ["triggers", triggers],
    ["timeouts", attr(config, "timeouts")],
  ]);
}

function plan({ prior, config }: PlanRequest): PlanResult {
  const args = plannedArguments(config);
  if (prior !== null) {
    const replace: PathStep[][] = REPLACING_ARGUMENTS.filter((name) => !sameValue(attr(prior, name), attr(args, name))).map((name) => [name]);
    // Only timeouts changed (or nothing): keep what the run produced.
    if (replace.length === 0) return { planned: withValues(prior, args), requiresReplace: [], diagnostics: [] };
    return { planned: createPlan(args), requiresReplace: replace, diagnostics: [] };
  }
  return { planned: createPlan(args), requiresReplace: [], diagnostics: [] };
}

function createPlan(args: CtyObject): CtyObject {
  return withValues(
    withValues(args, plannedOutcome()),
    record([
      ["id", plannedJobId()],
      ["job_id", plannedJobId()],
    ]),
  );
}

async function apply({ prior, planned }: ApplyRequest, ctx: ProviderContext): Promise<StateResult> {
  // An update changes only timeouts, which act at create time: nothing to do.
  if (prior !== null) return { state: planned, private: Buffer.alloc(0), diagnostics: [] };
  const client = ctx.client();
  if (!("waitForJob" in client)) return { state: null, private: Buffer.alloc(0), diagnostics: [client] };
  const method = planned.method as string;
  const path = planned.path as string;
  const body = planned.body as string | null;
  const idempotencyKey = planned.idempotency_key as string;
  const timeoutMs = createTimeoutMs(planned);
  const deadline = performance.now() + timeoutMs;
  const callDeadline = AbortSignal.timeout(timeoutMs);
  let accepted;
  try {
    accepted = await client.call(method, path, body ?? undefined, { idempotencyKey, signal: AbortSignal.any([ctx.stopSignal, callDeadline]) });
  } catch (error) {
    const nothing = { state: null, private: Buffer.alloc(0) };
    if (ctx.stopSignal.aborted) {
      return {
        ...nothing,
        diagnostics: [
          errorDiag(`Interrupted while calling ${method} ${path}`, "Terraform was interrupted before the operation answered; nothing was recorded."),
        ],
      };
    }
    if (callDeadline.aborted) {
      return {
        ...nothing,
        diagnostics: [errorDiag(`Timed out calling ${method} ${path}`, `The operation did not answer within timeouts.create (${formatDuration(timeoutMs)}).`)],
      };
    }
    return { ...nothing, diagnostics: [apiErrorDiag(error, `calling ${method} ${path}`)] };
  }
  const job = accepted.job;
  ctx.logger.info(`${method} ${path}: job ${job.id} (${accepted.status})`, { job_id: job.id });
  const outcome = await waitForTerminal(client, job.id, {
    timeoutMs: Math.max(1, deadline - performance.now()),
    stopSignal: ctx.stopSignal,
    logger: ctx.logger,
    typeName: OPERATION_TYPE,
    first: job,
  });
  const last = outcome.job ?? job;
  const state = withValues(
    planned,
    withValues(
      outcomeValues(last),
      record([
        ["id", job.id],
        ["job_id", job.id],
      ]),
    ),
  );
  return { state, private: encodePrivate({ job_id: job.id, ...(outcome.etag !== undefined ? { etag: outcome.etag } : {}) }), diagnostics: outcome.diagnostics };
}

async function read(state: CtyObject, priv: Buffer, ctx: ProviderContext): Promise<StateResult> {
  return readJobState(OPERATION_TYPE, state, priv, ctx);
}

async function importState(): Promise<StateResult> {
  return {
    state: null,
    private: Buffer.alloc(0),
    diagnostics: [
      errorDiag(
        "jobgate_operation cannot be imported",
        "The jobs API does not record an operation's method, path and body, so an imported jobgate_operation would be replaced (and the operation run again) by the next apply. Import the job as a jobgate_job_wait instead: terraform import jobgate_job_wait.NAME job_…",
      ),
    ],
  };
}

export const operationResource: ResourceDefinition = {
  typeName: OPERATION_TYPE,
  schema,
  type: objectTypeOf(schema.block),
  validate,
  plan,
  apply,
  read,
  import: importState,
};
