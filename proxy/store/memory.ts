import { randomBytes } from "node:crypto";
import { LRUCache } from "lru-cache";
import { DEFAULT_MAX_ACCOUNT_JOBS, DEFAULT_MAX_IDEMPOTENCY_KEYS, DEFAULT_MAX_JOBS, DEFAULT_RETENTION_MS } from "../../api/defaults.js";
import { isTerminal, JOB_STATUSES, type JobStatus } from "../../api/job.js";
import { IDEMPOTENCY_KEY_TTL_MS, SWEEP_INTERVAL_MS } from "./bounds.js";
import { changesJob } from "./change.js";
import { ChangeNotifier } from "./change-notifier.js";
import { InProcessDemoRuns, type DemoRunLedger } from "./demo-runs.js";
import { ListIndex } from "./list-index.js";
import {
  AccountFullError,
  IdempotencyKeyError,
  JobExistsError,
  StoreFullError,
  type ChangeListener,
  type IdempotencyClaim,
  type Inserted,
  type JobChange,
  type JobStore,
  type ListQuery,
  type NewJob,
  type StoreBounds,
  type StoreStats,
  type StoredJob,
} from "./types.js";

export interface MemoryStoreOptions extends StoreBounds {
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
  /** How long this instance's lease on a demo run lasts unless renewed. @default 10 s */
  readonly demoLeaseMs?: number;
}

/**
 * The embedded store (spec §8), with the bounds and fairness of `StoreBounds`: jobs in
 * flight are never evicted; each account's finished jobs leave in the order they finished
 * (reads change nothing the store keeps, so reading a job — visible or not — cannot keep
 * it alive or reveal it exists); `list` walks per-query indexes (list-index.ts).
 *
 * The data lives in a `MemoryBackend`; `replica()` opens a second instance over the same
 * data with its own waiters, woken asynchronously as a networked backend's would be — the
 * two-instance fixture of the contract suite.
 */
export class MemoryJobStore implements JobStore {
  private readonly backend: MemoryBackend;
  private readonly changes = new ChangeNotifier<StoredJob>();
  private readonly runs: DemoRunLedger;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}, backend?: MemoryBackend) {
    this.backend = backend ?? new MemoryBackend(options);
    this.backend.attach(this.changes);
    this.runs = this.backend.demoRuns.forInstance(options.demoLeaseMs);
  }

  /** Another instance over the same jobs, as a second replica over a shared backend would be. */
  replica(options: Pick<MemoryStoreOptions, "demoLeaseMs"> = {}): MemoryJobStore {
    return new MemoryJobStore(options, this.backend);
  }

  /** Positions `list` has looked at so far: a page's exact cost. */
  get listExamined(): number {
    return this.backend.index.examined;
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
    return this.backend.index.page(query);
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

  demoRuns(): DemoRunLedger {
    return this.runs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.backend.detach(this.changes);
    this.changes.releaseAll();
  }
}

/** One account's part of the store: how many of its jobs are in flight, its finished ones by finish time, its keys. */
interface AccountShelf {
  inFlight: number;
  /** Finished job ids → when they finished, oldest first (a Map keeps insertion order). */
  readonly finished: Map<string, number>;
  readonly keys: LRUCache<string, { fingerprint: string; jobId: string }>;
}

function held(shelf: AccountShelf): number {
  return shelf.inFlight + shelf.finished.size;
}

/** The jobs, their indexes and the shared tables of the memory store, and the instances to wake. */
export class MemoryBackend {
  readonly cursorSecret = randomBytes(32);
  readonly demoRuns: InProcessDemoRuns;
  readonly index = new ListIndex((id) => this.peek(id));
  private readonly maxJobs: number;
  private readonly maxAccountJobs: number;
  private readonly maxKeysPerAccount: number;
  private readonly retentionMs: number;
  private readonly now: () => number;
  private readonly jobs = new Map<string, StoredJob>();
  private readonly accounts = new Map<string, AccountShelf>();
  private readonly byStatus = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
  private readonly instances = new Set<ChangeNotifier<StoredJob>>();
  private readonly purgeTimer: NodeJS.Timeout;
  private lastCreatedAt = 0;

  constructor(options: MemoryStoreOptions) {
    this.maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
    this.maxAccountJobs = options.maxAccountJobs ?? DEFAULT_MAX_ACCOUNT_JOBS;
    this.maxKeysPerAccount = options.maxIdempotencyKeysPerAccount ?? DEFAULT_MAX_IDEMPOTENCY_KEYS;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.now = options.now ?? Date.now;
    this.demoRuns = new InProcessDemoRuns(this.now);
    this.purgeTimer = setInterval(() => this.purgeExpired(), Math.min(SWEEP_INTERVAL_MS, this.retentionMs));
    this.purgeTimer.unref();
  }

  attach(changes: ChangeNotifier<StoredJob>): void {
    this.instances.add(changes);
  }

  detach(changes: ChangeNotifier<StoredJob>): void {
    this.instances.delete(changes);
    if (this.instances.size === 0) clearInterval(this.purgeTimer);
  }

  /** The job as held now; a finished job past its retention reads as gone (the sweep removes it later). Changes nothing. */
  peek(id: string): StoredJob | undefined {
    const job = this.jobs.get(id);
    if (job === undefined || !isTerminal(job.status)) return job;
    const finishedAt = this.accounts.get(job.account)?.finished.get(id);
    return finishedAt !== undefined && finishedAt + this.retentionMs <= this.now() ? undefined : job;
  }

  insert(fresh: NewJob, claim: IdempotencyClaim | undefined): Inserted {
    const shelf = this.shelfOf(fresh.account);
    const earlier = claim === undefined ? undefined : shelf.keys.get(claim.key);
    if (earlier !== undefined) {
      if (earlier.fingerprint !== claim!.fingerprint) {
        throw new IdempotencyKeyError("this Idempotency-Key was used for a different request", "different_request");
      }
      const job = this.peek(earlier.jobId);
      if (job === undefined) throw new IdempotencyKeyError(`the job this Idempotency-Key started (${earlier.jobId}) is no longer kept`, "job_gone");
      return { job, created: false };
    }
    if (this.peek(fresh.id) !== undefined) throw new JobExistsError(`job ${fresh.id} already exists`);
    if (this.jobs.has(fresh.id)) this.evict(fresh.id); // an expired job under the same id: gone already, as far as anyone can tell
    this.makeRoom(fresh.account, shelf);
    this.lastCreatedAt = Math.max(this.now(), this.lastCreatedAt);
    const job: StoredJob = { ...fresh, status: "queued", progress: 0, createdAt: this.lastCreatedAt, result: null, error: null, version: 1 };
    this.jobs.set(job.id, job);
    shelf.inFlight++;
    this.byStatus.queued++;
    this.index.add(job);
    if (claim !== undefined) shelf.keys.set(claim.key, { fingerprint: claim.fingerprint, jobId: job.id });
    return { job, created: true };
  }

  update(id: string, mutate: (current: StoredJob) => JobChange | undefined, origin: ChangeNotifier<StoredJob>): StoredJob | undefined {
    const current = this.peek(id);
    if (current === undefined) return undefined;
    const change = mutate(current);
    if (change === undefined || !changesJob(current, change)) return current;
    const next: StoredJob = { ...current, ...change, version: current.version + 1 };
    this.jobs.set(id, next);
    if (isTerminal(next.status) && !isTerminal(current.status)) {
      const shelf = this.shelfOf(next.account);
      shelf.inFlight--;
      shelf.finished.set(id, this.now());
    }
    this.byStatus[current.status]--;
    this.byStatus[next.status]++;
    if (next.status !== current.status) this.index.moved(next, current.status);
    this.notify(id, next, origin);
    return next;
  }

  stats(): StoreStats {
    return { jobs: this.jobs.size, inFlight: this.byStatus.queued + this.byStatus.running, byStatus: { ...this.byStatus } };
  }

  /**
   * Frees a place for one more job of `account` (StoreBounds). Past its own quota: its own
   * oldest finished job, else 429. At the global bound: the oldest finished job of the
   * heaviest account among this one and those holding more — so a heavier tenant's volume
   * never evicts a lighter one's jobs; when none of those has a finished job, 503.
   */
  private makeRoom(account: string, shelf: AccountShelf): void {
    if (held(shelf) >= this.maxAccountJobs) {
      const oldest = shelf.finished.keys().next();
      if (oldest.done === true)
        throw new AccountFullError(`account ${account} holds ${shelf.inFlight} jobs in flight (--max-account-jobs ${this.maxAccountJobs})`);
      this.evict(oldest.value);
    }
    if (this.jobs.size < this.maxJobs) return;
    let victim: AccountShelf | undefined;
    for (const candidate of this.accounts.values()) {
      if (candidate.finished.size === 0 || (candidate !== shelf && held(candidate) <= held(shelf))) continue;
      if (victim === undefined || held(candidate) > held(victim)) victim = candidate;
    }
    if (victim === undefined)
      throw new StoreFullError(`the store holds ${this.jobs.size} jobs, and those that could make room are in flight (--max-jobs ${this.maxJobs})`);
    this.evict(victim.finished.keys().next().value!);
  }

  /** Removes a finished job and tells its waiters it is gone (jobs in flight are never passed here). */
  private evict(id: string): void {
    const job = this.jobs.get(id);
    if (job === undefined) return;
    this.jobs.delete(id);
    this.shelfOf(job.account).finished.delete(id);
    this.byStatus[job.status]--;
    this.index.removed(job);
    this.notify(id, undefined, undefined);
  }

  /** Drops finished jobs past their retention: each account's oldest first, stopping at the first still kept. */
  private purgeExpired(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const shelf of this.accounts.values()) {
      for (const [id, finishedAt] of shelf.finished) {
        if (finishedAt > cutoff) break;
        this.evict(id);
      }
      shelf.keys.purgeStale();
    }
  }

  private shelfOf(account: string): AccountShelf {
    let shelf = this.accounts.get(account);
    if (shelf === undefined) {
      const keys = new LRUCache<string, { fingerprint: string; jobId: string }>({
        max: this.maxKeysPerAccount,
        ttl: IDEMPOTENCY_KEY_TTL_MS,
        perf: { now: () => this.now() },
      });
      this.accounts.set(account, (shelf = { inFlight: 0, finished: new Map(), keys }));
    }
    return shelf;
  }

  /** Wakes the instance that made the change at once, the others a moment later (as over a network). */
  private notify(id: string, job: StoredJob | undefined, origin: ChangeNotifier<StoredJob> | undefined): void {
    for (const changes of this.instances) {
      if (changes === origin || origin === undefined) changes.notify(id, job);
      else queueMicrotask(() => changes.notify(id, job));
    }
  }
}
