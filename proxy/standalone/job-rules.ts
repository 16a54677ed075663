import { ERROR_CODE_PATTERN } from "../../api/identifiers.js";
import { canTransition, isJobStatus, isTerminal, JOB_STATUSES, type JobError, type JobStatus } from "../../api/job.js";
import { MAX_ERROR_MESSAGE_CHARS } from "../../api/limits.js";
import { ApiError, invalidRequest } from "../http/api-error.js";
import { changesJob } from "../store/change.js";
import type { JobChange, StoredJob } from "../store/types.js";

/**
 * The producer-side rules of spec §5, shared by PATCH and the demo runner:
 * shape checks answer 400 naming the field; state-machine violations answer 409.
 */
export interface JobPatch {
  readonly status?: JobStatus;
  readonly progress?: number;
  readonly result?: Record<string, unknown>;
  readonly error?: JobError;
}

const PATCH_FIELDS = new Set(["status", "progress", "result", "error"]);

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function rejectUnknownFields(body: Record<string, unknown>, allowed: ReadonlySet<string>, where = ""): void {
  for (const field of Object.keys(body)) {
    if (!allowed.has(field)) {
      throw invalidRequest(`unknown field ${where}${field}; expected ${[...allowed].map((name) => where + name).join(", ")}`);
    }
  }
}

/** Validates a PATCH body's shape (not yet its meaning against the job). */
export function parsePatch(body: unknown): JobPatch {
  if (!isPlainObject(body)) throw invalidRequest("body must be a JSON object with any of status, progress, result, error");
  rejectUnknownFields(body, PATCH_FIELDS);
  if (Object.keys(body).length === 0) throw invalidRequest("body is empty; give at least one of status, progress, result, error");
  const patch: { -readonly [K in keyof JobPatch]: JobPatch[K] } = {};
  if (body.status !== undefined) {
    if (!isJobStatus(body.status)) {
      throw invalidRequest(`status must be one of ${JOB_STATUSES.join(", ")}`);
    }
    patch.status = body.status;
  }
  if (body.progress !== undefined) {
    if (typeof body.progress !== "number" || !Number.isFinite(body.progress) || body.progress < 0 || body.progress > 1) {
      throw invalidRequest("progress must be a number from 0 to 1");
    }
    patch.progress = body.progress;
  }
  if (body.result !== undefined) {
    if (!isPlainObject(body.result)) throw invalidRequest("result must be a JSON object");
    patch.result = body.result;
  }
  if (body.error !== undefined) {
    const error = body.error;
    if (!isPlainObject(error)) throw invalidRequest('error must be an object { "code", "message" }');
    rejectUnknownFields(error, new Set(["code", "message"]), "error.");
    if (typeof error.code !== "string" || !ERROR_CODE_PATTERN.test(error.code)) {
      throw invalidRequest("error.code must be a lowercase identifier such as deploy_failed");
    }
    if (typeof error.message !== "string" || error.message.length === 0 || error.message.length > MAX_ERROR_MESSAGE_CHARS) {
      throw invalidRequest(`error.message must be a non-empty string of at most ${MAX_ERROR_MESSAGE_CHARS} characters`);
    }
    patch.error = { code: error.code, message: error.message };
  }
  return patch;
}

/** The change a patch makes to `current`, or throws 400/409 as spec §5 says. */
export function applyPatch(current: StoredJob, patch: JobPatch): JobChange {
  const status = patch.status ?? current.status;
  if (patch.result !== undefined && status !== "succeeded") {
    throw invalidRequest(`result is only allowed with status succeeded (the job would be ${status})`);
  }
  if (patch.error !== undefined && status !== "failed") {
    throw invalidRequest(`error is only allowed with status failed (the job would be ${status})`);
  }
  if (status === "failed" && (patch.error ?? current.error) === null) {
    throw invalidRequest("status failed needs an error { code, message }");
  }
  if (!canTransition(current.status, status)) {
    throw new ApiError("conflict", `job ${current.id} cannot go from ${current.status} to ${status}`);
  }
  let progress = patch.progress ?? current.progress;
  if (progress < current.progress) {
    throw new ApiError("conflict", `progress cannot decrease (job ${current.id} is at ${current.progress}, got ${progress})`);
  }
  if (status === "succeeded") progress = 1;
  const change: JobChange = {
    status,
    progress,
    ...(patch.result !== undefined ? { result: patch.result } : {}),
    ...(patch.error !== undefined ? { error: patch.error } : {}),
  };
  if (isTerminal(current.status) && changesJob(current, change)) {
    throw new ApiError("conflict", `job ${current.id} is ${current.status}; a finished job never changes`);
  }
  return change;
}
