import { randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { DEFAULT_MAX_JOBS, DEFAULT_RETENTION_MS } from "../../api/defaults.js";
import { isTerminal, JOB_STATUSES, type JobStatus } from "../../api/job.js";
import { canSee } from "../tenancy/visibility.js";
import { changesJob } from "./change.js";
import { ChangeNotifier } from "./change-notifier.js";
import {
  IdempotencyKeyError,
  JobExistsError,
  StoreFullError,
  type ChangeListener,
  type IdempotencyClaim,
  type Inserted,
  type JobChange,
  type JobStore,
  type ListPosition,
  type ListQuery,
  type NewJob,
  type StoreStats,
  type StoredJob,
} from "./types.js";

/** How often expired finished jobs are swept (they are also dropped lazily on read). */
const PURGE_INTERVAL_MS = 60_000;
/** `Idempotency-Key`s are kept at least this long (spec §8). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** Keys kept per account; past it the account's least recently used key goes. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS_PER_ACCOUNT = 10_000;

export interface MemoryStoreOptions {
  /** Bound on all jobs held, in flight and finished. @default 100_000 */
  readonly maxJobs?: number;
  /** Finished jobs are kept at least this long unless the bound forces eviction. @default 24h */
  readonly retentionMs?: number;
  /** `Idempotency-Key`s kept per account. @default 10_000 */
  readonly maxIdempotencyKeysPerAccount?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * The embedded store (spec §8): jobs in flight live in a plain map and are never evicted;
 * finished jobs live in an LRU bounded by `maxJobs` (minus those in flight) with a
 * `retentionMs` TTL, ordered by when they last changed — reads change nothing the store
 * keeps, so reading a job (visible or not) cannot keep it alive or reveal it exists.
 * A per-account index kept in list order serves keyset paging.
 *
 * The data lives in a `MemoryBackend`; `replica()` opens a second instance over the same
 * data with its own waiters, woken asynchronously as a networked backend's would be — the
 * two-instance fixture of the contract suite.
 */
export class MemoryJobStore implements JobStore {
  private readonly backend: MemoryBackend;
  private readonly changes = new ChangeNotifier<StoredJob>();
  private closed = false;

  constructor(options: MemoryStoreOptions = {}, backend?: MemoryBackend) {
    this.backend = backend ?? new MemoryBackend(options);
    this.backend.attach(this.changes);
  }

  /** Another instance over the same jobs, as a second replica over a shared backend would be. */
  replica(): MemoryJobStore {
    return new MemoryJobStore({}, this.backend);
  }

  async insert(fresh: NewJob, idempotency?: IdempotencyClaim): Promise<Inserted> {
    return this.backend.insert(fresh, idempotency);
  }

  async get(id: string): Promise<StoredJob | undefined> {
    return this.backend.peek(id);
  }

  getCached(id: string): StoredJob | undefined {
    return this.backend.peek(id);
  }

  async update(id: string, mutate: (current: StoredJob) => JobChange | undefined): Promise<StoredJob | undefined> {
    return this.backend.update(id, mutate, this.changes);
  }

  async list(query: ListQuery): Promise<StoredJob[]> {
    return this.backend.list(query);
  }

  waitForChange(id: string, afterVersion: number, signal: AbortSignal): Promise<StoredJob | undefined> {
    // Registered and read in one tick: nothing can change in between, in this process.
    const current = this.backend.peek(id);
    if (current === undefined) return Promise.resolve(undefined);
    if (current.version > afterVersion) return Promise.resolve(current);
    return this.changes.wait(id, afterVersion, signal);
  }

  subscribe(id: string, afterVersion: number, listener: ChangeListener): () => void {
    if (this.backend.peek(id) === undefined) {
      let live = true;
      queueMicrotask(() => live && listener.onEnd()); // already gone
      return () => (live = false);
    }
    return this.changes.subscribe(
      id,
      afterVersion,
      (job) => (job === undefined ? listener.onEnd() : listener.onChange(job)),
      () => this.backend.peek(id),
    );
  }

  async cursorSecret(): Promise<Uint8Array> {
    return this.backend.cursorSecret;
  }

  async stats(): Promise<StoreStats> {
    return this.backend.stats();
  }

  async checkHealth(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.backend.detach(this.changes);
    this.changes.releaseAll();
  }
}

/** The jobs, their index and the shared tables of the memory store, and the instances to wake. */
export class MemoryBackend {
  readonly cursorSecret = randomBytes(32);
  private readonly maxJobs: number;
  private readonly maxKeysPerAccount: number;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, StoredJob>();
  private readonly finished: LRUCache<string, StoredJob>;
  /**
   * Per account, positions in ascending list-key order (oldest first). A departed job's
   * position stays until more than half are dead, then the list is compacted: removing
   * each one from a 100 000-long array would cost every eviction a linear splice.
   */
  private readonly index = new Map<string, { positions: ListPosition[]; dead: number }>();
  private readonly idempotency = new Map<string, LRUCache<string, { fingerprint: string; jobId: string }>>();
  private readonly byStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
  private readonly instances = new Set<ChangeNotifier<StoredJob>>();
  private readonly purgeTimer: NodeJS.Timeout;
  private lastCreatedAt = 0;

  constructor(options: MemoryStoreOptions) {
    this.maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
    this.maxKeysPerAccount = options.maxIdempotencyKeysPerAccount ?? DEFAULT_MAX_IDEMPOTENCY_KEYS_PER_ACCOUNT;
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

  attach(changes: ChangeNotifier<StoredJob>): void {
    this.instances.add(changes);
  }

  detach(changes: ChangeNotifier<StoredJob>): void {
    this.instances.delete(changes);
    if (this.instances.size === 0) clearInterval(this.purgeTimer);
  }

  /** Reads without touching LRU recency. */
  peek(id: string): StoredJob | undefined {
    return this.inFlight.get(id) ?? this.finished.peek(id);
  }

  insert(fresh: NewJob, claim: IdempotencyClaim | undefined): Inserted {
    const keys = claim === undefined ? undefined : this.keysOf(fresh.account);
    const earlier = claim === undefined ? undefined : keys!.get(claim.key);
    if (earlier !== undefined) {
      if (earlier.fingerprint !== claim!.fingerprint) {
        throw new IdempotencyKeyError("this Idempotency-Key was used for a different request", "different_request");
      }
      const job = this.peek(earlier.jobId);
      if (job === undefined) throw new IdempotencyKeyError(`the job this Idempotency-Key started (${earlier.jobId}) is no longer kept`, "job_gone");
      return { job, created: false };
    }
    if (this.peek(fresh.id) !== undefined) throw new JobExistsError(`job ${fresh.id} already exists`);
    if (this.inFlight.size + this.finished.size >= this.maxJobs) {
      // Make room by the LRU order alone: a purge of expired jobs walks the whole cache,
      // too slow for every publish of a full store; the timer does it in the background.
      // So at the bound the least recently changed finished job goes, even one younger
      // than --retention: the bound wins, as spec §8 allows.
      if (this.finished.size === 0) {
        throw new StoreFullError(`the store holds ${this.inFlight.size} jobs in flight (--max-jobs ${this.maxJobs})`);
      }
      this.finished.pop();
    }
    this.lastCreatedAt = Math.max(this.now(), this.lastCreatedAt);
    const job: StoredJob = { ...fresh, status: "queued", progress: 0, createdAt: this.lastCreatedAt, result: null, error: null, version: 1 };
    this.inFlight.set(job.id, job);
    this.byStatus.queued++;
    this.indexAdd(job);
    if (claim !== undefined) keys!.set(claim.key, { fingerprint: claim.fingerprint, jobId: job.id });
    return { job, created: true };
  }

  update(id: string, mutate: (current: StoredJob) => JobChange | undefined, origin: ChangeNotifier<StoredJob>): StoredJob | undefined {
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
    this.byStatus[current.status]--;
    this.byStatus[next.status]++;
    this.notify(id, next, origin);
    return next;
  }

  list(query: ListQuery): StoredJob[] {
    const account = query.scope.account;
    const positions = this.index.get(account)?.positions;
    if (positions === undefined) return [];
    let from = positions.length - 1;
    if (query.after !== undefined) from = lowerBound(positions, query.after) - 1;
    const out: StoredJob[] = [];
    for (let i = from; i >= 0 && out.length < query.limit; i--) {
      const position = positions[i]!;
      const job = this.peek(position.id);
      // A dead position, or one left by an earlier job under a re-published id.
      if (job === undefined || job.createdAt !== position.createdAt || !canSee(query.scope, job)) continue;
      if (query.status !== undefined && job.status !== query.status) continue;
      if (query.resourceType !== undefined && job.resource.type !== query.resourceType) continue;
      out.push(job);
    }
    return out;
  }

  stats(): StoreStats {
    return { jobs: this.inFlight.size + this.finished.size, inFlight: this.inFlight.size, byStatus: { ...this.byStatus } };
  }

  /** Wakes the instance that made the change at once, the others a moment later (as over a network). */
  private notify(id: string, job: StoredJob | undefined, origin: ChangeNotifier<StoredJob> | undefined): void {
    for (const changes of this.instances) {
      if (changes === origin || origin === undefined) changes.notify(id, job);
      else queueMicrotask(() => changes.notify(id, job));
    }
  }

  private keysOf(account: string): LRUCache<string, { fingerprint: string; jobId: string }> {
    let keys = this.idempotency.get(account);
    if (keys === undefined) {
      keys = new LRUCache({ max: this.maxKeysPerAccount, ttl: IDEMPOTENCY_KEY_TTL_MS, perf: { now: () => this.now() } });
      this.idempotency.set(account, keys);
    }
    return keys;
  }

  private forget(job: StoredJob): void {
    this.byStatus[job.status]--;
    const entry = this.index.get(job.account);
    if (entry !== undefined && ++entry.dead * 2 > entry.positions.length) {
      // lru-cache disposes before it deletes: the departing job still looks held.
      entry.positions = entry.positions.filter((position) => position.id !== job.id && this.holds(job.account, position));
      entry.dead = 0;
      if (entry.positions.length === 0) this.index.delete(job.account);
    }
    this.notify(job.id, undefined, undefined);
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
    if (positions[at] !== undefined && compare(positions[at], position) === 0) entry.dead = Math.max(0, entry.dead - 1);
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
