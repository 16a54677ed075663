import { LRUCache } from "lru-cache";
import { isTerminal, JOB_STATUSES, type JobStatus } from "../../client/types.js";
import { changesJob } from "./change.js";
import { ChangeNotifier } from "./change-notifier.js";
import {
  JobExistsError,
  StoreFullError,
  type JobChange,
  type JobStore,
  type ListPosition,
  type ListQuery,
  type NewJob,
  type StoreStats,
  type StoredJob,
} from "./types.js";

export const DEFAULT_MAX_JOBS = 100_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** How often expired finished jobs are swept (they are also dropped lazily on read). */
const PURGE_INTERVAL_MS = 60_000;

export interface MemoryStoreOptions {
  /** Bound on all jobs held, in flight and finished. @default 100_000 */
  readonly maxJobs?: number;
  /** Finished jobs are kept at least this long unless the bound forces eviction. @default 24h */
  readonly retentionMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * The standalone store: jobs in flight live in a plain map and are never evicted;
 * finished jobs live in an LRU bounded by `maxJobs` (minus those in flight) with a
 * `retentionMs` TTL. A per-account index kept in list order serves keyset paging.
 */
export class MemoryJobStore implements JobStore {
  private readonly maxJobs: number;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, StoredJob>();
  private readonly finished: LRUCache<string, StoredJob>;
  /**
   * Per account, positions in ascending list-key order (oldest first). A departed job's
   * position stays until more than half are dead, then the list is compacted: removing
   * each one from a 100 000-long array would cost every eviction a linear splice.
   */
  private readonly index = new Map<string, { positions: ListPosition[]; dead: number }>();
  private readonly changes = new ChangeNotifier<StoredJob>();
  private readonly purgeTimer: NodeJS.Timeout;
  private lastCreatedAt = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
    this.now = options.now ?? Date.now;
    const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.finished = new LRUCache<string, StoredJob>({
      max: this.maxJobs,
      ttl: retentionMs,
      updateAgeOnGet: false,
      ttlResolution: 0,
      perf: { now: () => this.now() },
      dispose: (job, _id, reason) => {
        // "set" is a replacement by the same id, not a departure.
        if (reason !== "set") this.forget(job);
      },
    });
    this.purgeTimer = setInterval(() => this.finished.purgeStale(), Math.min(PURGE_INTERVAL_MS, retentionMs));
    this.purgeTimer.unref();
  }

  async insert(fresh: NewJob): Promise<StoredJob> {
    if (this.peek(fresh.id) !== undefined) throw new JobExistsError(`job ${fresh.id} already exists`);
    if (this.inFlight.size + this.finished.size >= this.maxJobs) {
      // Make room by the LRU order alone: a purge of expired jobs walks the whole cache,
      // too slow for every publish of a full store; the timer does it in the background.
      // So at the bound the least recently used finished job goes, even one younger than
      // --retention while an expired one read more recently waits for the next sweep:
      // the bound wins, as spec §8 allows.
      if (this.finished.size === 0) {
        throw new StoreFullError(`the store holds ${this.inFlight.size} jobs in flight (--max-jobs ${this.maxJobs})`);
      }
      this.finished.pop();
    }
    this.lastCreatedAt = Math.max(this.now(), this.lastCreatedAt);
    const job: StoredJob = {
      ...fresh,
      status: "queued",
      progress: 0,
      createdAt: this.lastCreatedAt,
      result: null,
      error: null,
      version: 1,
    };
    this.inFlight.set(job.id, job);
    this.indexAdd(job);
    return job;
  }

  async get(id: string): Promise<StoredJob | undefined> {
    return this.getSync(id);
  }

  getSync(id: string): StoredJob | undefined {
    return this.inFlight.get(id) ?? this.finished.get(id);
  }

  async update(id: string, mutate: (current: StoredJob) => JobChange | undefined): Promise<StoredJob | undefined> {
    const current = this.peek(id);
    if (current === undefined) return undefined;
    const change = mutate(current);
    if (change === undefined || !changesJob(current, change)) return current;
    const next: StoredJob = { ...current, ...change, version: current.version + 1 };
    if (isTerminal(next.status) && !isTerminal(current.status)) {
      this.inFlight.delete(id);
      this.finished.set(id, next);
    } else if (isTerminal(next.status)) {
      this.finished.set(id, next, { noUpdateTTL: true });
    } else {
      this.inFlight.set(id, next);
    }
    this.changes.notify(id, next);
    return next;
  }

  async list(query: ListQuery): Promise<StoredJob[]> {
    const positions = this.index.get(query.account)?.positions;
    if (positions === undefined) return [];
    let from = positions.length - 1;
    if (query.after !== undefined) from = lowerBound(positions, query.after) - 1;
    const out: StoredJob[] = [];
    for (let i = from; i >= 0 && out.length < query.limit; i--) {
      const position = positions[i]!;
      const job = this.peek(position.id);
      // A dead position, or one left by an earlier job under a re-published id.
      if (job === undefined || job.createdAt !== position.createdAt || job.account !== query.account) continue;
      if (query.teamId !== undefined && job.teamId !== query.teamId) continue;
      if (query.siteId !== undefined && job.resource.site_id !== query.siteId) continue;
      if (query.status !== undefined && job.status !== query.status) continue;
      if (query.resourceType !== undefined && job.resource.type !== query.resourceType) continue;
      out.push(job);
    }
    return out;
  }

  waitForChange(id: string, afterVersion: number, signal: AbortSignal): Promise<StoredJob | undefined> {
    const current = this.peek(id);
    if (current === undefined) return Promise.resolve(undefined);
    if (current.version > afterVersion) return Promise.resolve(current);
    return this.changes.wait(id, afterVersion, signal);
  }

  subscribe(id: string, afterVersion: number, onChange: (job: StoredJob | undefined) => void): () => void {
    if (this.peek(id) === undefined) {
      let live = true;
      queueMicrotask(() => live && onChange(undefined)); // already gone
      return () => (live = false);
    }
    return this.changes.subscribe(id, afterVersion, onChange, () => this.peek(id));
  }

  async stats(): Promise<StoreStats> {
    const byStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
    for (const job of this.inFlight.values()) byStatus[job.status]++;
    for (const job of this.finished.values()) byStatus[job.status]++;
    return { jobs: this.inFlight.size + this.finished.size, inFlight: this.inFlight.size, byStatus };
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.changes.releaseAll();
  }

  /** Reads without touching LRU recency (list scans must not keep old jobs alive). */
  private peek(id: string): StoredJob | undefined {
    return this.inFlight.get(id) ?? this.finished.peek(id);
  }

  private forget(job: StoredJob): void {
    const entry = this.index.get(job.account);
    if (entry !== undefined && ++entry.dead * 2 > entry.positions.length) {
      // lru-cache disposes before it deletes: the departing job still looks held.
      entry.positions = entry.positions.filter((position) => position.id !== job.id && this.holds(job.account, position));
      entry.dead = 0;
      if (entry.positions.length === 0) this.index.delete(job.account);
    }
    this.changes.notify(job.id, undefined);
  }

  /** True when the job at `position` is still held, and is the one `account` indexed there. */
  private holds(account: string, position: ListPosition): boolean {
    const job = this.peek(position.id);
    return job !== undefined && job.createdAt === position.createdAt && job.account === account;
  }

  private indexAdd(job: StoredJob): void {
    let entry = this.index.get(job.account);
    if (entry === undefined) this.index.set(job.account, (entry = { positions: [], dead: 0 }));
    const { positions } = entry;
    const position = { createdAt: job.createdAt, id: job.id };
    const last = positions[positions.length - 1];
    if (last === undefined || compare(last, position) < 0) {
      positions.push(position);
      return;
    }
    const at = lowerBound(positions, position);
    // A re-published id in the same millisecond finds its old, dead position: revive it.
    if (positions[at] !== undefined && compare(positions[at]!, position) === 0) entry.dead = Math.max(0, entry.dead - 1);
    else positions.splice(at, 0, position);
  }
}

/** Ascending list-key order: created_at, then id. */
function compare(a: ListPosition, b: ListPosition): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** First index whose position is not less than `key`. */
function lowerBound(positions: readonly ListPosition[], key: ListPosition): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(positions[mid]!, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
