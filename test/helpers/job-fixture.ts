import type { Job } from "../../api/index.js";

/** A job object as the API returns it, for client tests against a faked API (`job_1`, progress `version / 10`). */
export function fakeJob(version: number, status: Job["status"] = "running", progress = version / 10): Job {
  return {
    id: "job_1",
    type: "deployment.deploy",
    status,
    progress: status === "succeeded" ? 1 : progress,
    created_at: "2026-06-24T01:02:00.110Z",
    resource: { type: "deployment", id: "site_1", site_id: "site_1" },
    result: status === "succeeded" ? { release_id: "rel_1" } : null,
    error: null,
    links: { self: "/v1/jobs/job_1", stream: "/v1/jobs/job_1/stream" },
  };
}

export const envelope = (job: Job) => ({ data: job, request_id: "req_1" });
