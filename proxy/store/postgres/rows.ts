/**
 * How a job travels between PostgreSQL and the store: its row (resource in columns, so it
 * comes back in the wire order of spec §3 whatever the database does with JSON), and its
 * change notification — the full state when it fits a NOTIFY payload, else a "read it"
 * marker with the version, so a receiver wakes its waiters without a query in the common case.
 */
import type { JobResource, JobStatus } from "../../../api/job.js";
import type { StoredJob } from "../types.js";
import { SCHEMA } from "./migrations.js";

/** The LISTEN/NOTIFY channel every replica listens on. */
export const CHANNEL = "jobgate_jobs";
/** PostgreSQL refuses a payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_999;

export const JOB_COLUMNS = "id, account, team_id, type, resource_type, resource_id, site_id, env_id, status, progress, result, error, version, created_at";

export interface JobRow {
  id: string;
  account: string;
  team_id: string;
  type: string;
  resource_type: string;
  resource_id: string;
  site_id: string;
  env_id: string | null;
  status: JobStatus;
  progress: number;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  version: number;
  /** bigint: pg hands it over as a string. */
  created_at: string | number;
}

export function resourceOf(type: string, id: string, siteId: string, envId: string | null | undefined): JobResource {
  return envId === null || envId === undefined ? { type, id, site_id: siteId } : { type, id, site_id: siteId, env_id: envId };
}

export function jobOf(row: JobRow): StoredJob {
  return {
    id: row.id,
    account: row.account,
    teamId: row.team_id,
    type: row.type,
    status: row.status,
    progress: row.progress,
    createdAt: Number(row.created_at),
    resource: resourceOf(row.resource_type, row.resource_id, row.site_id, row.env_id),
    result: row.result,
    error: row.error === null ? null : { code: row.error.code, message: row.error.message },
    version: row.version,
  };
}

export const SELECT_JOB = `SELECT ${JOB_COLUMNS} FROM ${SCHEMA}.jobs`;

/** What a notification says. */
export type Notice =
  /** The job's new state. */
  | { readonly kind: "job"; readonly job: StoredJob }
  /** The job changed to `version`, too large to carry: read it. */
  | { readonly kind: "changed"; readonly id: string; readonly version: number }
  /** These jobs are gone (evicted, expired). */
  | { readonly kind: "gone"; readonly ids: readonly string[] };

export function changePayload(job: StoredJob): string {
  const full = JSON.stringify({ job });
  return Buffer.byteLength(full) <= MAX_PAYLOAD_BYTES ? full : JSON.stringify({ changed: job.id, version: job.version });
}

/** "gone" payloads for `ids`, as few as fit. */
export function gonePayloads(ids: readonly string[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let bytes = 12;
  for (const id of ids) {
    if (batch.length > 0 && bytes + id.length + 3 > MAX_PAYLOAD_BYTES) {
      payloads.push(JSON.stringify({ gone: batch }));
      batch = [];
      bytes = 12;
    }
    batch.push(id);
    bytes += id.length + 3;
  }
  if (batch.length > 0) payloads.push(JSON.stringify({ gone: batch }));
  return payloads;
}

/** Parses a payload; undefined for one this build does not understand (a newer replica's). */
export function parseNotice(payload: string): Notice | undefined {
  let message: { job?: StoredJob; changed?: unknown; version?: unknown; gone?: unknown };
  try {
    message = JSON.parse(payload) as typeof message;
  } catch {
    return undefined;
  }
  if (message.job !== undefined && typeof message.job.id === "string" && typeof message.job.version === "number") {
    const job = message.job;
    // Rebuilt field by field: the snapshot has the same shape as one read from a row.
    return {
      kind: "job",
      job: {
        id: job.id,
        account: job.account,
        teamId: job.teamId,
        type: job.type,
        status: job.status,
        progress: job.progress,
        createdAt: job.createdAt,
        resource: resourceOf(job.resource.type, job.resource.id, job.resource.site_id, job.resource.env_id),
        result: job.result,
        error: job.error,
        version: job.version,
      },
    };
  }
  if (typeof message.changed === "string" && typeof message.version === "number") return { kind: "changed", id: message.changed, version: message.version };
  if (Array.isArray(message.gone) && message.gone.every((id) => typeof id === "string")) return { kind: "gone", ids: message.gone };
  return undefined;
}
