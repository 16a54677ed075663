/**
 * The job object of spec §3, exactly as it travels on the wire (list, get, stream).
 * Shared by the client, the CLI and the server's serializer.
 */
export type JobStatus = "queued" | "running" | "succeeded" | "failed";

export const JOB_STATUSES: readonly JobStatus[] = ["queued", "running", "succeeded", "failed"];

export interface JobResource {
  type: string;
  /** The most specific subject: the environment when there is one, else the site. */
  id: string;
  site_id: string;
  env_id?: string;
}

export interface JobError {
  code: string;
  message: string;
}

export interface Job {
  id: string;
  type: string;
  status: JobStatus;
  progress: number;
  created_at: string;
  resource: JobResource;
  result: Record<string, unknown> | null;
  error: JobError | null;
  links: { self: string; stream: string };
}

const IDENTIFIER = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * An id as the API spells them (jobs, accounts, teams, sites, environments): 1–128 of
 * letters, digits and `_ . : -`, and never a path dot-segment, so it is safe in a URL path.
 */
export function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value) && value !== "." && value !== "..";
}

/** True for something shaped like a job object: an id and a known status (what a waiter relies on). */
export function looksLikeJob(value: unknown): value is Job {
  const job = value as Partial<Job> | null | undefined;
  return typeof job === "object" && job !== null && typeof job.id === "string" && JOB_STATUSES.includes(job.status as JobStatus);
}

export function isTerminal(status: JobStatus): boolean {
  return status === "succeeded" || status === "failed";
}
