import { jobPath, type Job } from "../../api/job.js";
import type { StoredJob } from "../store/types.js";

/**
 * The wire form of a job (spec §3: these fields, this order, nothing added), memoized
 * per immutable snapshot: a change fanned out to thousands of waiters is serialized once.
 */
const cache = new WeakMap<StoredJob, string>();

export function toJob(job: StoredJob): Job {
  const self = jobPath(job.id);
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    progress: job.progress,
    created_at: new Date(job.createdAt).toISOString(),
    resource: { ...job.resource },
    result: job.result === null ? null : { ...job.result },
    error: job.error === null ? null : { code: job.error.code, message: job.error.message },
    links: { self, stream: `${self}/stream` },
  };
}

/** One line of JSON (SSE `data:` needs it on one line; JSON.stringify never emits newlines). */
export function jobJson(job: StoredJob): string {
  let json = cache.get(job);
  if (json === undefined) {
    json = JSON.stringify(toJob(job));
    cache.set(job, json);
  }
  return json;
}
