/**
 * The PostgreSQL store (spec §8): the shared truth of any number of `jobgate serve`
 * replicas, with LISTEN/NOTIFY to wake them.
 *
 * - Writes are single statements or transactions: all or nothing. An update is a version
 *   compare-and-set (`WHERE version = $seen`), retried by reading again and asking
 *   `mutate` again; its NOTIFY is part of the same statement, so a change and its notice
 *   commit together.
 * - Reads that must be true (`get`, `list`, the stats) go to the database; the hot path
 *   (`getCached`, and the first look of a wait) uses the per-replica cache, which the change
 *   feed keeps coherent and which answers nothing while the feed is down (job-cache.ts).
 * - Waits and streams subscribe before they read: registered in the in-process notifier,
 *   then compared against the cache (same tick) or a row read. The feed coming back up
 *   re-reads every watched job, which heals any notice lost while it was down.
 * - The database unreachable: every call rejects with `StoreUnavailableError` (a 503);
 *   waits and subscriptions already registered stay open and are re-read when it returns.
 * - Bounds as the memory store's: jobs in flight are never evicted; at `maxJobs` the least
 *   recently finished job goes (and is announced "gone"); when only jobs in flight are left,
 *   `StoreFullError`. Finished jobs older than `retentionMs` and Idempotency-Keys older than
 *   24 h are swept by one replica at a time.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import pg from "pg";
import { DEFAULT_MAX_ACCOUNT_JOBS, DEFAULT_MAX_IDEMPOTENCY_KEYS, DEFAULT_MAX_JOBS, DEFAULT_RETENTION_MS } from "../../../api/defaults.js";
import { JOB_STATUSES, type JobStatus } from "../../../api/job.js";
import { IDEMPOTENCY_KEY_TTL_MS, SWEEP_INTERVAL_MS } from "../bounds.js";
import { changesJob } from "../change.js";
import { ChangeNotifier } from "../change-notifier.js";
import { canSee, type VisibilityScope } from "../../tenancy/visibility.js";
import { DEMO_LEASE_MS, type DemoRunLedger } from "../demo-runs.js";
import {
  AccountFullError,
  IdempotencyKeyError,
  JobExistsError,
  StoreFullError,
  StoreUnavailableError,
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
} from "../types.js";
import { ChangeFeed } from "./change-feed.js";
import { clientConfig, DEFAULT_POOL_SIZE, describeStoreUrl, poolConfig } from "./connection.js";
import { PostgresDemoRuns } from "./demo-runs.js";
import { isRetryable, isUnavailable, reason, storeError } from "./errors.js";
import { JobCache } from "./job-cache.js";
import { listSql } from "./list-query.js";
import { migrate, SCHEMA } from "./migrations.js";
import { UpdateBatcher } from "./update-batcher.js";
import { CHANNEL, changePayload, gonePayloads, jobOf, parseNotice, resourceOf, SELECT_JOB, type JobRow } from "./rows.js";

/** Registers what to do once the transaction has committed. */
type AfterCommit = (then: () => void) => void;

/** A statement prepared once per connection (named), so it is planned once, not on every call. */
interface Prepared {
  readonly name: string;
  readonly text: string;
}

function prepared(name: string, text: string): Prepared {
  return { name: `jobgate_${name}`, text };
}

/** Jobs a replica's cache holds at most. */
export const DEFAULT_CACHE_SIZE = 20_000;
/** A re-read that failed (the database still away) is tried again this often while someone watches. */
const RESYNC_RETRY_MS = 1_000;
/** Jobs re-read per query when the feed comes back. */
const RESYNC_BATCH = 500;
/** Rows a sweep deletes per statement (and statements per sweep). */
const SWEEP_BATCH = 1_000;
const SWEEP_BATCHES = 20;
/** `/healthz` gives the database this long to answer. */
const HEALTH_TIMEOUT_MS = 2_000;
/** Lost compare-and-sets before an update gives up (only a storm of writers to one job gets near it). */
const MAX_UPDATE_ATTEMPTS = 50;
/** `pg_try_advisory_xact_lock` key of the sweep ("jobg" + 2): one replica sweeps at a time. */
const SWEEP_LOCK = 0x6a6f6267_00000002n.toString();

/** Now, in ms since the epoch, on the database's clock (one clock for every replica). */
const NOW_MS = "floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint";

/** The bounds (`StoreBounds`, spec §8) and this replica's own settings. */
export interface PostgresStoreOptions extends StoreBounds {
  /** `postgres://user:password@host:5432/db` (libpq-style query parameters such as `sslmode` work). */
  readonly url: string;
  /** Query connections of this replica (the LISTEN connection is one more). @default 10 */
  readonly poolSize?: number;
  /** Jobs this replica's cache holds at most. @default 20_000 */
  readonly cacheSize?: number;
  /** How long this replica's lease on a demo run lasts unless renewed. @default 10 s */
  readonly demoLeaseMs?: number;
  /** How often expired jobs and keys are swept. @default the smaller of 60 s and `retentionMs` */
  readonly sweepIntervalMs?: number;
  /** Create or migrate the schema first. @default true */
  readonly migrate?: boolean;
  readonly logger?: Logger;
}

/** Opens the store: the pool, the schema (migrated), the shared secret, then the change feed. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresJobStore> {
  const pool = new pg.Pool(poolConfig(options.url, options.poolSize ?? DEFAULT_POOL_SIZE));
  // An idle connection the server ended: the pool drops it and the next query connects anew.
  pool.on("error", (error) => options.logger?.debug({ reason: reason(error) }, "store: an idle connection was lost"));
  let store: PostgresJobStore | undefined;
  try {
    if (options.migrate !== false) await migrate(pool, options.logger);
    const secret = await loadCursorSecret(pool);
    store = new PostgresJobStore(pool, secret, options);
    await store.start();
    return store;
  } catch (error) {
    if (store !== undefined) await store.close();
    else await pool.end().catch(() => undefined);
    const failure = storeError(error);
    if (failure instanceof StoreUnavailableError) {
      throw new StoreUnavailableError(`cannot open the store at ${describeStoreUrl(options.url)}: ${reason(error)}`, { cause: error });
    }
    throw failure;
  }
}

async function loadCursorSecret(pool: pg.Pool): Promise<Buffer> {
  // The first replica to get here sets it; every other reads the same.
  await pool.query(`INSERT INTO ${SCHEMA}.settings (name, value) VALUES ('cursor_secret', $1) ON CONFLICT (name) DO NOTHING`, [randomBytes(32)]);
  const { rows } = await pool.query<{ value: Buffer }>(`SELECT value FROM ${SCHEMA}.settings WHERE name = 'cursor_secret'`);
  return rows[0]!.value;
}

/** Parameters of a row insert, in the order of INSERT_JOB's. */
function insertValues(fresh: NewJob): unknown[] {
  const { resource } = fresh;
  return [fresh.id, fresh.account, fresh.teamId, fresh.type, resource.type, resource.id, resource.site_id, resource.env_id ?? null];
}

/** The account's newest creation time, so a database clock that steps back never reorders its list. */
const NEWEST_OF_ACCOUNT = JOB_STATUSES.map(
  (status) => `coalesce((SELECT max(created_at) FROM ${SCHEMA}.jobs WHERE account = $2 AND status = '${status}'), 0)`,
).join(", ");
const INSERT_JOB = `INSERT INTO ${SCHEMA}.jobs (id, account, team_id, type, resource_type, resource_id, site_id, env_id, status, progress, version, created_at)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, 1, greatest(${NOW_MS}, ${NEWEST_OF_ACCOUNT})`;
/** The insert when there is room without evicting, in the store and in the account's quota (else no row: the slow path decides). */
const INSERT_IF_ROOM = prepared(
  "insert_if_room",
  `${INSERT_JOB}
  WHERE (SELECT sum(queued + running + succeeded + failed) FROM ${SCHEMA}.job_counts) < $9
    AND (SELECT coalesce(sum(in_flight + finished), 0) FROM ${SCHEMA}.account_counts WHERE account = $2) < $10
  ON CONFLICT (id) DO NOTHING RETURNING created_at`,
);
const INSERT_ANYWAY = prepared("insert_anyway", `${INSERT_JOB} ON CONFLICT (id) DO NOTHING RETURNING created_at`);
const JOB_EXISTS = prepared("job_exists", `SELECT 1 FROM ${SCHEMA}.jobs WHERE id = $1`);
const SELECT_BY_ID = prepared("select_by_id", `${SELECT_JOB} WHERE id = $1`);
const SELECT_BY_IDS = prepared("select_by_ids", `${SELECT_JOB} WHERE id = ANY($1)`);
const COUNTS = prepared(
  "counts",
  `SELECT coalesce(sum(queued), 0)::float8 AS queued, coalesce(sum(running), 0)::float8 AS running,
     coalesce(sum(succeeded), 0)::float8 AS succeeded, coalesce(sum(failed), 0)::float8 AS failed FROM ${SCHEMA}.job_counts`,
);
const ACCOUNT_HELD = prepared("account_held", `SELECT coalesce(sum(in_flight + finished), 0)::float8 AS held FROM ${SCHEMA}.account_counts WHERE account = $1`);
/** The account the global bound evicts from: the heaviest with a finished job, among `$1` and those holding more than `$2`. */
const HEAVIEST = prepared(
  "heaviest",
  `SELECT account FROM ${SCHEMA}.account_counts GROUP BY account
   HAVING sum(finished) > 0 AND (account = $1 OR sum(in_flight + finished) > $2)
   ORDER BY sum(in_flight + finished) DESC, account LIMIT 1`,
);
/** An account's oldest finished job (in the exact order jobs finished), removed. */
const EVICT_OLDEST = prepared(
  "evict_oldest",
  `DELETE FROM ${SCHEMA}.jobs WHERE id = (
     SELECT id FROM ${SCHEMA}.jobs WHERE account = $1 AND finish_order IS NOT NULL ORDER BY finish_order LIMIT 1 FOR UPDATE SKIP LOCKED)
   RETURNING id`,
);
/**
 * A batch of compare-and-sets (update-batcher.ts) in one statement: each row is updated
 * only if it is still at the version its writer read, and each applied one NOTIFYs in the
 * same statement — a change and its notice commit together. Rows go in id order, so two
 * replicas' batches lock common rows in the same order.
 */
const COMPARE_AND_SET = prepared(
  "compare_and_set",
  `WITH input AS (
     SELECT * FROM unnest($1::int[], $2::text[], $3::int[], $4::text[], $5::float8[], $6::json[], $7::json[], $8::text[])
       AS i(n, id, seen, status, progress, result, error, payload)),
   updated AS (
     UPDATE ${SCHEMA}.jobs j
        SET status = i.status, progress = i.progress, result = i.result, error = i.error, version = i.seen + 1,
            finished_at = CASE WHEN i.status IN ('succeeded', 'failed') THEN coalesce(j.finished_at, ${NOW_MS}) END,
            finish_order = CASE WHEN i.status IN ('succeeded', 'failed') THEN coalesce(j.finish_order, nextval('${SCHEMA}.finish_order')) END
       FROM input i
      WHERE j.id = i.id AND j.version = i.seen
     RETURNING i.n, i.payload)
   SELECT n, pg_notify('${CHANNEL}', payload) FROM updated`,
);
const CLAIM_KEY = prepared(
  "claim_key",
  `INSERT INTO ${SCHEMA}.idempotency_keys AS k (account, key, fingerprint, job_id, created_at)
   VALUES ($1, $2, $3, $4, ${NOW_MS})
   ON CONFLICT (account, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, job_id = EXCLUDED.job_id, created_at = EXCLUDED.created_at
    WHERE k.created_at < EXCLUDED.created_at - $5
   RETURNING 1`,
);
const SELECT_KEY = prepared("select_key", `SELECT fingerprint, job_id FROM ${SCHEMA}.idempotency_keys WHERE account = $1 AND key = $2`);
const NOTIFY = prepared("notify", `SELECT pg_notify('${CHANNEL}', $1)`);

/** A write the batcher sends: the state its writer read, and the one it makes. */
interface CasWrite {
  readonly current: StoredJob;
  readonly next: StoredJob;
}

export class PostgresJobStore implements JobStore {
  private readonly changes = new ChangeNotifier<StoredJob>();
  private readonly cache: JobCache;
  private readonly feed: ChangeFeed;
  private readonly maxJobs: number;
  private readonly maxAccountJobs: number;
  private readonly retentionMs: number;
  private readonly maxKeysPerAccount: number;
  private readonly logger: Logger | undefined;
  private readonly ledger: DemoRunLedger;
  private readonly writes = new UpdateBatcher<CasWrite>((batch) => this.compareAndSet(batch));
  private readonly resyncQueue = new Set<string>();
  private resyncScheduled = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private closed = false;
  /** Rows read for a single job (get, a wait's first look, a re-read): what the cache saves. */
  jobReads = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly secret: Buffer,
    private readonly options: PostgresStoreOptions,
  ) {
    this.maxJobs = options.maxJobs ?? DEFAULT_MAX_JOBS;
    this.maxAccountJobs = options.maxAccountJobs ?? DEFAULT_MAX_ACCOUNT_JOBS;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.maxKeysPerAccount = options.maxIdempotencyKeysPerAccount ?? DEFAULT_MAX_IDEMPOTENCY_KEYS;
    this.logger = options.logger;
    this.cache = new JobCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
    this.feed = new ChangeFeed(
      clientConfig(options.url),
      CHANNEL,
      { onNotice: (payload) => this.heard(payload), onUp: () => this.feedUp(), onDown: () => this.cache.down() },
      options.logger,
    );
    this.ledger = new PostgresDemoRuns(
      (text, values) => this.query(text, values),
      `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
      options.demoLeaseMs ?? DEMO_LEASE_MS,
    );
  }

  /** Connects the change feed and starts sweeping. */
  async start(): Promise<void> {
    await this.feed.start();
    const every = this.options.sweepIntervalMs ?? Math.min(SWEEP_INTERVAL_MS, this.retentionMs);
    this.sweepTimer = setInterval(() => void this.sweep(), every);
    this.sweepTimer.unref();
  }

  async insert(fresh: NewJob, claim?: IdempotencyClaim): Promise<Inserted> {
    const mark = this.cache.mark();
    let inserted: Inserted;
    if (claim === undefined) {
      const { rows } = await this.query<{ created_at: string }>(INSERT_IF_ROOM, [...insertValues(fresh), this.maxJobs, this.maxAccountJobs]);
      if (rows[0] !== undefined) {
        inserted = { job: queuedJob(fresh, rows[0].created_at), created: true };
      } else {
        // Taken, or no room without evicting: decided in a transaction.
        inserted = { job: await this.transaction((client, afterCommit) => this.insertMakingRoom(client, afterCommit, fresh)), created: true };
      }
    } else {
      inserted = await this.transaction((client, afterCommit) => this.insertClaimed(client, afterCommit, fresh, claim));
    }
    this.cache.remember(inserted.job, mark);
    return inserted;
  }

  async get(id: string, scope?: VisibilityScope): Promise<StoredJob | undefined> {
    const mark = this.cache.mark();
    const job = await this.readJob(id);
    // Read for a caller who cannot see it: the cache stays as it was (spec §2), else such
    // reads would fill it, and keep another tenant's entries in it or push them out.
    if (job !== undefined && (scope === undefined || canSee(scope, job))) this.cache.remember(job, mark);
    return job;
  }

  getCached(id: string): StoredJob | undefined {
    return this.cache.get(id);
  }

  async update(id: string, mutate: (current: StoredJob) => JobChange | undefined): Promise<StoredJob | undefined> {
    const mark = this.cache.mark();
    // The cached state spares a read when the write then succeeds (the compare-and-set
    // proves it was current); a refusal or a no-op is only believed from a row read.
    let current = this.cache.get(id);
    let fromCache = current !== undefined;
    if (!fromCache) current = await this.readJob(id);
    for (let attempt = 1; ; attempt++) {
      if (current === undefined) return undefined;
      let change: JobChange | undefined;
      try {
        change = mutate(current);
      } catch (error) {
        if (!fromCache) throw error;
        change = undefined;
      }
      if (change === undefined || !changesJob(current, change)) {
        if (!fromCache) return current;
        fromCache = false;
        current = await this.readJob(id);
        continue;
      }
      const next: StoredJob = { ...current, ...change, version: current.version + 1 };
      if (await this.writes.write({ current, next })) {
        this.cache.remember(next, mark);
        this.changes.notify(id, next); // this replica's waiters now; the others on the notice
        return next;
      }
      if (attempt >= MAX_UPDATE_ATTEMPTS) throw new StoreUnavailableError(`job ${id} changed under ${attempt} attempts to update it; try again`);
      fromCache = false;
      current = await this.readJob(id); // another writer won: read the truth, ask mutate again
    }
  }

  async list(query: ListQuery): Promise<StoredJob[]> {
    const { text, values } = listSql(query);
    const { rows } = await this.query<JobRow>(text, values);
    return rows.map(jobOf);
  }

  waitForChange(id: string, afterVersion: number, signal: AbortSignal): Promise<StoredJob | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const cached = this.cache.get(id);
    if (cached !== undefined) {
      // The cache is the feed's view up to now: registered in the same tick, nothing slips by.
      if (cached.version > afterVersion) return Promise.resolve(cached);
      return this.changes.wait(id, afterVersion, signal);
    }
    // Subscribe, then read: a change committed after the read's snapshot is a notice to come.
    const { promise, cancel } = this.changes.waitCancellable(id, afterVersion, signal);
    this.get(id).then(
      (job) => {
        if (job === undefined || job.version > afterVersion) cancel({ value: job });
      },
      (error: unknown) => cancel({ error }),
    );
    return promise;
  }

  subscribe(id: string, afterVersion: number, listener: ChangeListener): () => void {
    if (!storable(id)) {
      let live = true;
      queueMicrotask(() => live && listener.onEnd()); // no such job can exist
      return () => (live = false);
    }
    const cached = this.cache.get(id);
    const unsubscribe = this.changes.subscribe(
      id,
      afterVersion,
      (job) => (job === undefined ? listener.onEnd() : listener.onChange(job)),
      cached === undefined ? undefined : () => this.cache.get(id) ?? cached,
    );
    // Not known here: read it — a state past afterVersion is delivered, a missing job ends it.
    if (cached === undefined) this.resync([id]);
    return unsubscribe;
  }

  async cursorSecret(): Promise<Uint8Array> {
    return this.secret;
  }

  async stats(): Promise<StoreStats> {
    const { rows } = await this.query<Record<JobStatus, number>>(COUNTS, []);
    const byStatus = rows[0]!;
    return {
      jobs: byStatus.queued + byStatus.running + byStatus.succeeded + byStatus.failed,
      inFlight: byStatus.queued + byStatus.running,
      byStatus: { queued: byStatus.queued, running: byStatus.running, succeeded: byStatus.succeeded, failed: byStatus.failed },
    };
  }

  async checkHealth(): Promise<void> {
    if (!this.feed.isConnected) throw new StoreUnavailableError("the change feed (LISTEN) is reconnecting to the database");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`the database did not answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.query("SELECT 1", []), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  demoRuns(): DemoRunLedger {
    return this.ledger;
  }

  /** The change feed is up (for tests and health): notices are being received. */
  get feedConnected(): boolean {
    return this.feed.isConnected;
  }

  /** Cuts the LISTEN connection as a network fault would (for tests). */
  interruptFeed(): void {
    this.feed.interrupt();
  }

  /** Sweeps now: expired finished jobs and Idempotency-Keys (normally on a timer). */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce()
      .catch((error: unknown) => this.logger?.warn({ reason: reason(error) }, "store: sweep failed; the next one tries again"))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const timer of this.timers) clearTimeout(timer);
    await this.sweeping;
    await this.feed.close();
    this.changes.releaseAll();
    await this.pool.end().catch(() => undefined);
  }

  // — writes —

  /**
   * Inserts the row inside `client`'s transaction after INSERT_IF_ROOM found no room (or
   * the id taken), making room when a bound says so (StoreBounds, as the memory store does):
   * past its own quota, the account's own oldest finished job goes, else AccountFullError;
   * at the global bound, the oldest finished job of the heaviest account among this one and
   * those holding more — a heavier tenant's volume never evicts a lighter one's jobs — else
   * StoreFullError. Room that appeared since is found by the counts: nothing is evicted then.
   */
  private async insertMakingRoom(client: pg.PoolClient, afterCommit: AfterCommit, fresh: NewJob): Promise<StoredJob> {
    const values = insertValues(fresh);
    const taken = await client.query({ ...JOB_EXISTS, values: [fresh.id] });
    if (taken.rowCount !== 0) throw new JobExistsError(`job ${fresh.id} already exists`);
    const counts = (await client.query<Record<JobStatus, number>>({ ...COUNTS, values: [] })).rows[0]!;
    let total = counts.queued + counts.running + counts.succeeded + counts.failed;
    let held = (await client.query<{ held: number }>({ ...ACCOUNT_HELD, values: [fresh.account] })).rows[0]!.held;
    const gone: string[] = [];
    const evictOldest = async (account: string): Promise<boolean> => {
      const { rows } = await client.query<{ id: string }>({ ...EVICT_OLDEST, values: [account] });
      if (rows[0] === undefined) return false;
      gone.push(rows[0].id);
      total--;
      if (account === fresh.account) held--;
      return true;
    };
    if (held >= this.maxAccountJobs && !(await evictOldest(fresh.account))) {
      throw new AccountFullError(`account ${fresh.account} holds ${held} jobs in flight (--max-account-jobs ${this.maxAccountJobs})`);
    }
    if (total >= this.maxJobs) {
      const { rows } = await client.query<{ account: string }>({ ...HEAVIEST, values: [fresh.account, held] });
      if (rows[0] === undefined || !(await evictOldest(rows[0].account))) {
        throw new StoreFullError(`the store holds ${total} jobs, and those that could make room are in flight (--max-jobs ${this.maxJobs})`);
      }
    }
    const inserted = await client.query<{ created_at: string }>({ ...INSERT_ANYWAY, values });
    if (inserted.rows[0] === undefined) throw new JobExistsError(`job ${fresh.id} already exists`);
    for (const payload of gonePayloads(gone)) await client.query({ ...NOTIFY, values: [payload] });
    // Released here once committed; the notice tells the other replicas.
    afterCommit(() => this.dropGone(gone));
    return queuedJob(fresh, inserted.rows[0].created_at);
  }

  private async insertClaimed(client: pg.PoolClient, afterCommit: AfterCommit, fresh: NewJob, claim: IdempotencyClaim): Promise<Inserted> {
    const claimed = await client.query({ ...CLAIM_KEY, values: [fresh.account, claim.key, claim.fingerprint, fresh.id, IDEMPOTENCY_KEY_TTL_MS] });
    if (claimed.rowCount === 1) {
      const room = await client.query<{ created_at: string }>({ ...INSERT_IF_ROOM, values: [...insertValues(fresh), this.maxJobs, this.maxAccountJobs] });
      const job = room.rows[0] !== undefined ? queuedJob(fresh, room.rows[0].created_at) : await this.insertMakingRoom(client, afterCommit, fresh);
      return { job, created: true };
    }
    const { rows } = await client.query<{ fingerprint: string; job_id: string }>({ ...SELECT_KEY, values: [fresh.account, claim.key] });
    const earlier = rows[0]!;
    if (earlier.fingerprint !== claim.fingerprint) {
      throw new IdempotencyKeyError("this Idempotency-Key was used for a different request", "different_request");
    }
    const job = await client.query<JobRow>({ ...SELECT_BY_ID, values: [earlier.job_id] });
    if (job.rows[0] === undefined) {
      throw new IdempotencyKeyError(`the job this Idempotency-Key started (${earlier.job_id}) is no longer kept`, "job_gone");
    }
    return { job: jobOf(job.rows[0]), created: false };
  }

  // — the change feed —

  private heard(payload: string): void {
    const notice = parseNotice(payload);
    if (notice === undefined) return;
    if (notice.kind === "job") {
      this.cache.heard(notice.job);
      this.changes.notify(notice.job.id, notice.job);
    } else if (notice.kind === "changed") {
      this.cache.forget(notice.id);
      if (this.changes.count(notice.id) > 0) this.resync([notice.id]);
    } else {
      this.dropGone(notice.ids);
    }
  }

  private dropGone(ids: readonly string[]): void {
    for (const id of ids) {
      this.cache.forget(id);
      this.changes.notify(id, undefined);
    }
  }

  /** The feed is (back) up: any notice may have been missed while it was down, so every watched job is read again. */
  private feedUp(): void {
    this.cache.up();
    this.resync(this.changes.watchedKeys());
  }

  /** Reads these jobs (batched with any others asked for in this tick) and tells their waiters. */
  private resync(ids: Iterable<string>): void {
    for (const id of ids) this.resyncQueue.add(id);
    if (this.resyncScheduled || this.resyncQueue.size === 0) return;
    this.resyncScheduled = true;
    queueMicrotask(() => {
      this.resyncScheduled = false;
      const queued = [...this.resyncQueue];
      this.resyncQueue.clear();
      for (let i = 0; i < queued.length; i += RESYNC_BATCH) void this.resyncBatch(queued.slice(i, i + RESYNC_BATCH));
    });
  }

  private async resyncBatch(ids: string[]): Promise<void> {
    if (this.closed) return;
    const mark = this.cache.mark();
    let rows: JobRow[];
    try {
      this.jobReads += ids.length;
      rows = (await this.query<JobRow>(SELECT_BY_IDS, [ids])).rows;
    } catch (error) {
      // Still unreachable: try again while anyone watches (the feed's return re-reads too).
      this.logger?.debug({ reason: reason(error), jobs: ids.length }, "store: re-read failed; retrying");
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) this.resync(ids.filter((id) => this.changes.count(id) > 0));
      }, RESYNC_RETRY_MS);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    const found = new Map(rows.map((row) => [row.id, jobOf(row)]));
    for (const id of ids) {
      const job = found.get(id);
      this.cache.remember(job, mark);
      this.changes.notify(id, job); // a state past theirs wakes them; none means the job is gone
    }
  }

  // — sweeping —

  private async sweepOnce(): Promise<void> {
    if (this.closed) return;
    for (let batch = 0; batch < SWEEP_BATCHES; batch++) {
      const deleted = await this.transaction(async (client, afterCommit) => {
        const { rows } = await client.query<{ got: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS got", [SWEEP_LOCK]);
        if (!rows[0]!.got) return -1; // another replica is sweeping
        const expired = await client.query<{ id: string }>(
          `DELETE FROM ${SCHEMA}.jobs WHERE id IN (
             SELECT id FROM ${SCHEMA}.jobs WHERE finished_at IS NOT NULL AND finished_at < ${NOW_MS} - $1 ORDER BY finished_at, id LIMIT $2)
           RETURNING id`,
          [this.retentionMs, SWEEP_BATCH],
        );
        const gone = expired.rows.map((row) => row.id);
        for (const payload of gonePayloads(gone)) await client.query({ ...NOTIFY, values: [payload] });
        afterCommit(() => this.dropGone(gone));
        if (batch === 0) {
          await client.query(`DELETE FROM ${SCHEMA}.idempotency_keys WHERE created_at < ${NOW_MS} - $1`, [IDEMPOTENCY_KEY_TTL_MS]);
          // Past the per-account bound, that account's oldest keys go — never another account's.
          await client.query(
            `DELETE FROM ${SCHEMA}.idempotency_keys k USING (
               SELECT account, key FROM (
                 SELECT account, key, row_number() OVER (PARTITION BY account ORDER BY created_at DESC, key DESC) AS n
                   FROM ${SCHEMA}.idempotency_keys
                  WHERE account IN (SELECT account FROM ${SCHEMA}.idempotency_keys GROUP BY account HAVING count(*) > $1)
               ) ranked WHERE n > $1
             ) extra WHERE k.account = extra.account AND k.key = extra.key`,
            [this.maxKeysPerAccount],
          );
        }
        return gone.length;
      });
      if (deleted < SWEEP_BATCH) return;
    }
  }

  // — plumbing —

  /** One batch of compare-and-sets (update-batcher.ts); the indexes of those applied. Retried whole on a deadlock. */
  private async compareAndSet(batch: readonly CasWrite[]): Promise<ReadonlySet<number>> {
    const order = batch
      .map((_, index) => index)
      .sort((a, b) => (batch[a]!.next.id < batch[b]!.next.id ? -1 : batch[a]!.next.id > batch[b]!.next.id ? 1 : a - b));
    const column = <V>(pick: (write: CasWrite) => V): V[] => order.map((index) => pick(batch[index]!));
    const values = [
      order,
      column((write) => write.next.id),
      column((write) => write.current.version),
      column((write) => write.next.status),
      column((write) => write.next.progress),
      column((write) => (write.next.result === null ? null : JSON.stringify(write.next.result))),
      column((write) => (write.next.error === null ? null : JSON.stringify(write.next.error))),
      column((write) => changePayload(write.next)),
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await this.query<{ n: number }>(COMPARE_AND_SET, values);
        return new Set(rows.map((row) => row.n));
      } catch (error) {
        if (!isRetryable((error as { cause?: unknown }).cause ?? error) || attempt >= 5) throw error;
      }
    }
  }

  private async readJob(id: string): Promise<StoredJob | undefined> {
    if (!storable(id)) return undefined;
    this.jobReads++;
    const { rows } = await this.query<JobRow>(SELECT_BY_ID, [id]);
    return rows[0] === undefined ? undefined : jobOf(rows[0]);
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(statement: string | Prepared, values: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreUnavailableError("the store is closed");
    try {
      return await this.pool.query<R>(typeof statement === "string" ? { text: statement, values } : { ...statement, values });
    } catch (error) {
      throw storeError(error);
    }
  }

  /**
   * Runs `work` in a transaction on one connection: all or nothing; retried as a whole on a
   * serialization failure or deadlock. What `work` hands `afterCommit` runs once committed.
   */
  private async transaction<T>(work: (client: pg.PoolClient, afterCommit: AfterCommit) => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError("the store is closed");
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw storeError(error);
      }
      const committed: (() => void)[] = [];
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await work(client, (then) => committed.push(then));
        await client.query("COMMIT");
        client.release();
        for (const then of committed) then();
        return result;
      } catch (error) {
        if (isUnavailable(error)) broken = error as Error;
        else await client.query("ROLLBACK").catch((rollbackError: Error) => (broken = rollbackError));
        client.release(broken);
        if (isRetryable(error) && attempt < 5) continue;
        throw storeError(error);
      }
    }
  }
}

/**
 * False for an id PostgreSQL's text cannot hold (a NUL, as a path's `%00` decodes to): no row
 * has it, and asking for one fails the query — a 500 where "no such job" (404) is the truth.
 */
function storable(id: string): boolean {
  return !id.includes("\u0000");
}

function queuedJob(fresh: NewJob, createdAt: string | number): StoredJob {
  return {
    id: fresh.id,
    account: fresh.account,
    teamId: fresh.teamId,
    type: fresh.type,
    status: "queued",
    progress: 0,
    createdAt: Number(createdAt),
    resource: resourceOf(fresh.resource.type, fresh.resource.id, fresh.resource.site_id, fresh.resource.env_id),
    result: null,
    error: null,
    version: 1,
  };
}
