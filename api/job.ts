/**
 * The job object of spec §3, exactly as it travels on the wire (list, get, stream), and
 * its state machine. Shared by the server, the client, the CLI and the provider.
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

/** Legal transitions (spec §3): `queued → running → succeeded | failed`, queued may finish at once; terminal is final. */
export const NEXT_STATUSES: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ["queued", "running", "succeeded", "failed"],
  running: ["running", "succeeded", "failed"],
  succeeded: ["succeeded"],
  failed: ["failed"],
};

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === "string" && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus): boolean {
  return status === "succeeded" || status === "failed";
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return NEXT_STATUSES[from].includes(to);
}

/** True for something shaped like a job object: an id and a known status (what a waiter relies on). */
export function looksLikeJob(value: unknown): value is Job {
  const job = value as Partial<Job> | null | undefined;
  return typeof job === "object" && job !== null && typeof job.id === "string" && isJobStatus(job.status);
}

/** `/v1/jobs/{id}` and its stream, the job's `links`. */
export function jobPath(id: string): string {
  return `/v1/jobs/${id}`;
}
