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

export function isTerminal(status: JobStatus): boolean {
  return status === "succeeded" || status === "failed";
}
