/**
 * What the three types share: the job's outcome as attributes (`status`, `progress`,
 * `result`, `error_code`, `error_message`), the `timeouts` block, the private state
 * (job id and ETag), and how those are planned and filled in.
 */
import { DEFAULT_WAIT_TIMEOUT, isIdentifier, parseDuration, type Job } from "../../../client/index.js";
import { isUnknown, record, unknown, type CtyObject, type CtyValue } from "../cty/values.js";
import { errorDiag, type Diagnostic, type PathStep } from "../diagnostics.js";
import type { AttributeSpec, NestedBlockSpec } from "../schema.js";

/** `timeouts { create }` when the configuration says nothing (spec §11). */
export const DEFAULT_CREATE_TIMEOUT = DEFAULT_WAIT_TIMEOUT;
/** The longest `timeouts.create` accepted: a week. */
export const MAX_CREATE_TIMEOUT_MS = 7 * 24 * 3600_000;
export const JOB_ID_PREFIX = "job_";

export const ID_ATTRIBUTE: AttributeSpec = {
  name: "id",
  type: "string",
  computed: true,
  description: "The job's id (the same as `job_id`); Terraform shows it as the resource's id.",
};

export const JOB_ID_COMPUTED: AttributeSpec = {
  name: "job_id",
  type: "string",
  computed: true,
  description: "The id of the job the operation started (`job_…`).",
};

export const OUTCOME_ATTRIBUTES: readonly AttributeSpec[] = [
  {
    name: "status",
    type: "string",
    computed: true,
    description:
      "The job's status: `succeeded` after a successful apply; `failed`, `queued` or `running` in a tainted resource whose apply failed or was interrupted.",
  },
  { name: "progress", type: "number", computed: true, description: "The job's progress, from 0 to 1 (1 when it succeeded)." },
  {
    name: "result",
    type: "string",
    computed: true,
    description:
      'The job\'s `result` as JSON text, `"null"` when there is none; read it with `jsondecode(…)`, e.g. `jsondecode(jobgate_operation.deploy.result).release_id`.',
  },
  { name: "error_code", type: "string", computed: true, description: "The failed job's `error.code`, else null." },
  { name: "error_message", type: "string", computed: true, description: "The failed job's `error.message`, else null." },
];

export const TIMEOUTS_BLOCK: NestedBlockSpec = {
  typeName: "timeouts",
  nesting: "single",
  block: {
    description: "How long Terraform waits.",
    attributes: [
      {
        name: "create",
        type: "string",
        optional: true,
        description: `How long create waits for the job to finish, as a duration such as \`90s\`, \`30m\` or \`1h30m\` (default \`${DEFAULT_CREATE_TIMEOUT}\`). Past it the apply fails with the job's last state. Changing it changes nothing else.`,
      },
    ],
  },
};

/** Attributes set from a job. */
export function outcomeValues(job: Job): CtyObject {
  return record([
    ["status", job.status],
    ["progress", Math.min(1, Math.max(0, typeof job.progress === "number" ? job.progress : 0))],
    ["result", JSON.stringify(job.result ?? null)],
    ["error_code", job.error?.code ?? null],
    ["error_message", job.error?.message ?? null],
  ]);
}

/**
 * What a create plans for the outcome: unknown, refined with what is sure — a status and a
 * result will be there, progress lies in [0, 1]. Error fields stay plain unknowns: they are
 * null after a successful create but set in the state of a failed one.
 */
export function plannedOutcome(): CtyObject {
  return record([
    ["status", unknown({ notNull: true })],
    ["progress", unknown({ notNull: true, numberMin: { value: 0, inclusive: true }, numberMax: { value: 1, inclusive: true } })],
    ["result", unknown({ notNull: true })],
    ["error_code", unknown()],
    ["error_message", unknown()],
  ]);
}

/** A job id to come: not null, starting with `job_` (spec §3). */
export const plannedJobId = (): CtyValue => unknown({ notNull: true, stringPrefix: JOB_ID_PREFIX });

/** `timeouts.create` in ms, or the default; the value was validated already. */
export function createTimeoutMs(state: CtyObject): number {
  const timeouts = state.timeouts;
  const create = timeouts !== null && typeof timeouts === "object" && !Array.isArray(timeouts) && !isUnknown(timeouts) ? (timeouts as CtyObject).create : null;
  return parseDuration(typeof create === "string" ? create : DEFAULT_CREATE_TIMEOUT, "timeouts.create");
}

export function validateTimeouts(config: CtyObject): Diagnostic[] {
  const timeouts = config.timeouts;
  if (timeouts === null || timeouts === undefined || isUnknown(timeouts)) return [];
  const create = (timeouts as CtyObject).create;
  if (typeof create !== "string") return [];
  let ms: number;
  try {
    ms = parseDuration(create, "timeouts.create");
  } catch {
    return [
      errorDiag(
        "Invalid timeouts.create",
        `${JSON.stringify(create)} is not a duration; use a number with a unit, such as 90s, 30m or 1h30m (units: ms, s, m, h).`,
        ["timeouts", "create"],
      ),
    ];
  }
  if (ms < 1000 || ms > MAX_CREATE_TIMEOUT_MS) {
    return [errorDiag("Invalid timeouts.create", `${JSON.stringify(create)} is out of range: it must be from 1s to 168h.`, ["timeouts", "create"])];
  }
  return [];
}

export function validateJobId(value: CtyValue, attribute: readonly PathStep[]): Diagnostic[] {
  if (typeof value !== "string") return [];
  if (!isIdentifier(value)) {
    return [
      errorDiag(
        "Invalid job id",
        `${JSON.stringify(value)} is not a job id; expected something like job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK (letters, digits, "_", ".", ":", "-").`,
        attribute,
      ),
    ];
  }
  return [];
}

// --- private state ---------------------------------------------------------------------

export interface PrivateState {
  readonly job_id?: string;
  /** The ETag of the state last read, so a refresh can ask `If-None-Match`. */
  readonly etag?: string;
}

export function encodePrivate(priv: PrivateState): Buffer {
  return Buffer.from(JSON.stringify(priv));
}

export function decodePrivate(bytes: Buffer | Uint8Array | undefined): PrivateState {
  if (bytes === undefined || bytes.length === 0) return {};
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown;
    if (parsed === null || typeof parsed !== "object") return {};
    const p = parsed as Record<string, unknown>;
    return { ...(typeof p.job_id === "string" ? { job_id: p.job_id } : {}), ...(typeof p.etag === "string" ? { etag: p.etag } : {}) };
  } catch {
    return {};
  }
}

/** Copies `from` into a fresh object (values as they are). */
export function withValues(base: CtyObject, values: CtyObject): CtyObject {
  return record([...Object.entries(base), ...Object.entries(values)]);
}

/** `config[name]`, treating an absent attribute as null. */
export function attr(obj: CtyObject, name: string): CtyValue {
  return obj[name] ?? null;
}

export function sameValue(a: CtyValue, b: CtyValue): boolean {
  if (isUnknown(a) || isUnknown(b)) return false;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: CtyValue): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as CtyObject)[k]!)]),
    );
  }
  return value;
}
