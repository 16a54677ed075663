import { LRUCache } from "lru-cache";
import { isTerminal, JOB_STATUSES, type Job, type JobStatus } from "../../api/index.js";
import { etagOf } from "../../api/etag.js";
import type { JobView } from "../job-source.js";
import { ChangeNotifier } from "../store/change-notifier.js";

/** An upstream job state as last seen, with the version its ETag / event id carried. */
export interface CachedJob extends JobView {
  readonly job: Job;
}

export function cachedJob(job: Job, version: number): CachedJob {
  const json = JSON.stringify(job);
  return { job, version, etag: etagOf(version), terminal: isTerminal(job.status), json: () => json };
}

/**
 * Proxy mode's cache of upstream state. It may evict freely — the upstream is the
 * truth — and it never decides who may read: that is access-decisions.ts. Waiters
 * (held long-polls, streams) are keyed by job id, apart from the entries, so an
 * eviction does not strand them: the job's watch puts the next state back.
 */
export class UpstreamCache {
  private readonly entries: LRUCache<string, CachedJob>;
  private readonly changes = new ChangeNotifier<CachedJob>();

  constructor(maxJobs: number) {
    this.entries = new LRUCache({ max: maxJobs });
  }

  get(jobId: string): CachedJob | undefined {
    return this.entries.get(jobId);
  }

  /** Records a state; waiters are woken when it is newer than what they have. */
  put(jobId: string, job: Job, version: number): CachedJob {
    const current = this.entries.get(jobId);
    if (current !== undefined && current.version >= version) return current;
    const next = cachedJob(job, version);
    this.entries.set(jobId, next);
    this.changes.notify(jobId, next);
    return next;
  }

  /** The first state past `afterVersion` (at once if cached already), or undefined on abort. */
  waitForChange(jobId: string, afterVersion: number, signal: AbortSignal): Promise<CachedJob | undefined> {
    const current = this.entries.get(jobId);
    if (current !== undefined && current.version > afterVersion) return Promise.resolve(current);
    return this.changes.wait(jobId, afterVersion, signal);
  }

  /** Every state past `afterVersion` (a cached one at once); never `undefined`: eviction is not an end. */
  subscribe(jobId: string, afterVersion: number, onChange: (job: CachedJob) => void): () => void {
    return this.changes.subscribe(
      jobId,
      afterVersion,
      (job) => job !== undefined && onChange(job),
      () => this.entries.get(jobId),
    );
  }

  /** Local requests held on the job right now. */
  waiters(jobId: string): number {
    return this.changes.count(jobId);
  }

  byStatus(): Record<JobStatus, number> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    for (const entry of this.entries.values()) counts[entry.job.status]++;
    return counts;
  }

  close(): void {
    this.changes.releaseAll();
  }
}
