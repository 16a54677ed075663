/**
 * The PostgreSQL store (spec §8) on a real server started by this file: the shared
 * contract suite — one store, and two over one database as two replicas would be — then
 * what only a networked store has to get right.
 */
import pg from "pg";
import { pino } from "pino";
import { DemoRunner } from "../proxy/standalone/demo-runner.js";
import { migrate, SCHEMA_VERSION } from "../proxy/store/postgres/migrations.js";
import { listSql } from "../proxy/store/postgres/list-query.js";
import { openPostgresStore, type PostgresJobStore, type PostgresStoreOptions } from "../proxy/store/postgres/store.js";
import { IdempotencyKeyError, StoreFullError, StoreUnavailableError, type StoredJob } from "../proxy/store/types.js";
import { startRelay } from "./helpers/cli.js";
import { describeWithPostgres, usePostgresCluster } from "./helpers/postgres.js";
import { describeJobStoreContract, eventually, newJob } from "./store-contract.js";

const postgres = usePostgresCluster();

async function open(url: string, options: Partial<PostgresStoreOptions> = {}): Promise<PostgresJobStore> {
  return openPostgresStore({ url, poolSize: 4, ...options });
}

describeWithPostgres("PostgreSQL store", () => {
  describeJobStoreContract("postgres", {
    create: async (bounds) => open(await postgres().emptyDatabase(), bounds),
    createPair: async () => {
      const url = await postgres().emptyDatabase();
      return [await open(url), await open(url)];
    },
  });
});

/** A store over a fresh database, and that database's name (for SQL behind its back). */
async function fresh(options: Partial<PostgresStoreOptions> = {}, url?: string): Promise<{ store: PostgresJobStore; db: string; url: string }> {
  url ??= await postgres().emptyDatabase();
  return { store: await open(url, options), db: new URL(url).pathname.slice(1), url };
}

/** Inserts and returns the job. */
async function add(store: PostgresJobStore, overrides: Parameters<typeof newJob>[0] = {}): Promise<StoredJob> {
  return (await store.insert(newJob(overrides))).job;
}

const finish = (store: PostgresJobStore, id: string) => store.update(id, () => ({ status: "succeeded", progress: 1 }));
const never = () => new AbortController().signal;

describeWithPostgres("PostgreSQL store: bounds (spec §8)", () => {
  test("in-flight jobs are never evicted: a full store of in-flight jobs refuses new ones, all or nothing", async () => {
    const { store } = await fresh({ maxJobs: 3 });
    try {
      const jobs = [await add(store), await add(store), await add(store)];
      await expect(store.insert(newJob())).rejects.toBeInstanceOf(StoreFullError);
      await expect(store.insert(newJob(), { key: "k", fingerprint: "f" })).rejects.toBeInstanceOf(StoreFullError);
      for (const job of jobs) expect(await store.get(job.id)).toBeDefined();
      // The refused claim left no key behind.
      await finish(store, jobs[0]!.id);
      expect((await store.insert(newJob(), { key: "k", fingerprint: "other" })).created).toBe(true);
    } finally {
      await store.close();
    }
  });

  test("at the bound the job that finished first makes room, and the other replica is told it is gone", async () => {
    const url = await postgres().emptyDatabase();
    const [store, other] = [await open(url, { maxJobs: 3 }), await open(url, { maxJobs: 3 })];
    try {
      const [a, b, c] = [await add(store), await add(store), await add(store)];
      await store.update(b.id, () => ({ status: "failed", error: { code: "x", message: "y" } }));
      await finish(store, a.id);
      await store.get(b.id); // reads keep nothing alive
      const gone = other.waitForChange(b.id, 2, never());
      const d = await add(store);
      await expect(gone).resolves.toBeUndefined();
      expect(await other.get(b.id)).toBeUndefined();
      for (const kept of [a, c, d]) expect(await other.get(kept.id)).toBeDefined();
      expect((await other.list({ scope: { account: "acct_1" }, limit: 10 })).map((job) => job.id)).toEqual([d.id, c.id, a.id]);
      expect(await other.stats()).toMatchObject({ jobs: 3, inFlight: 2 });
    } finally {
      await store.close();
      await other.close();
    }
  });

  test("finished jobs past the retention are swept; in-flight ones never are", async () => {
    const { store, db } = await fresh({ retentionMs: 60_000, sweepIntervalMs: 3_600_000 });
    try {
      const done = await add(store);
      const running = await add(store);
      await finish(store, done.id);
      await store.sweep();
      expect(await store.get(done.id)).toBeDefined(); // younger than the retention
      await postgres().sql(`UPDATE jobgate.jobs SET finished_at = finished_at - 61000, created_at = created_at - 61000`, db);
      await store.sweep();
      expect(await store.get(done.id)).toBeUndefined();
      expect(await store.get(running.id)).toBeDefined();
      expect(await store.stats()).toMatchObject({ jobs: 1, inFlight: 1, byStatus: { queued: 1, succeeded: 0 } });
    } finally {
      await store.close();
    }
  });

  test("Idempotency-Keys: free again after 24 h; past the per-account bound the account's oldest go, never another's", async () => {
    const { store, db } = await fresh({ maxIdempotencyKeysPerAccount: 3 });
    try {
      for (const key of ["k1", "k2", "k3", "k4", "k5"]) await store.insert(newJob(), { key, fingerprint: "f" });
      const theirs = await store.insert(newJob({ account: "acct_2" }), { key: "k1", fingerprint: "f" });
      await store.sweep();
      // k1 and k2, acct_1's oldest, are gone: they start new jobs; k3…k5 still repeat.
      expect((await store.insert(newJob(), { key: "k1", fingerprint: "other" })).created).toBe(true);
      expect((await store.insert(newJob(), { key: "k5", fingerprint: "f" })).created).toBe(false);
      await expect(store.insert(newJob(), { key: "k4", fingerprint: "other" })).rejects.toBeInstanceOf(IdempotencyKeyError);
      expect(await store.insert(newJob({ account: "acct_2" }), { key: "k1", fingerprint: "f" })).toEqual({ job: theirs.job, created: false });
      await postgres().sql(`UPDATE jobgate.idempotency_keys SET created_at = created_at - ${25 * 3600 * 1000} WHERE key = 'k5'`, db);
      expect((await store.insert(newJob(), { key: "k5", fingerprint: "new" })).created).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describeWithPostgres("PostgreSQL store: list cost (spec §4)", () => {
  const limit = 21;
  let store: PostgresJobStore;
  let client: pg.Client;
  beforeAll(async () => {
    const opened = await fresh({ maxJobs: 1_000_000, maxAccountJobs: 1_000_000 }, await postgres().createDatabase());
    store = opened.store;
    client = new pg.Client(opened.url);
    await client.connect();
    // 20 000 jobs of other sites and teams, in every status, then 30 of site_1.
    await client.query(`INSERT INTO jobgate.jobs (id, account, team_id, type, resource_type, resource_id, site_id, status, progress, version, created_at, finished_at, finish_order)
      SELECT 'job_' || lpad(i::text, 26, '0'), 'acct_1', 'team_' || (i % 5), 'build.run', CASE WHEN i % 2 = 0 THEN 'build' ELSE 'deployment' END,
             'site_x' || (i % 40), 'site_x' || (i % 40), (ARRAY['queued', 'running', 'succeeded', 'failed'])[1 + i % 4], 0, 1, 1000 + i,
             CASE WHEN i % 4 >= 2 THEN 1000 + i END, CASE WHEN i % 4 >= 2 THEN nextval('jobgate.finish_order') END
        FROM generate_series(1, 20000) i`);
    for (let i = 0; i < 30; i++) await add(store, { resource: { type: "deployment", id: "site_1", site_id: "site_1" } });
    await client.query("ANALYZE jobgate.jobs");
  });
  afterAll(async () => {
    await client.end();
    await store.close();
  });

  /** Rows the plan's scans read (EXPLAIN ANALYZE): what a page costs. */
  async function rowsRead(query: Parameters<typeof listSql>[0]): Promise<number> {
    const { text, values } = listSql(query);
    const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
    type Node = { "Node Type": string; "Actual Rows": number; "Actual Loops": number; Plans?: Node[] };
    const walk = (node: Node): number =>
      (/Scan/.test(node["Node Type"]) ? node["Actual Rows"] * node["Actual Loops"] : 0) + (node.Plans ?? []).reduce((sum, child) => sum + walk(child), 0);
    return walk(rows[0]["QUERY PLAN"][0].Plan);
  }

  test.each([
    ["site pin", { scope: { account: "acct_1", siteId: "site_1" }, limit }],
    ["site pin, status", { scope: { account: "acct_1", siteId: "site_1" }, status: "queued" as const, limit }],
    ["team and site pins, type", { scope: { account: "acct_1", teamId: "team_1", siteId: "site_1" }, resourceType: "deployment", limit }],
    ["no pin", { scope: { account: "acct_1" }, limit }],
    ["team pin, type and status", { scope: { account: "acct_1", teamId: "team_3" }, resourceType: "build", status: "failed" as const, limit }],
    ["no pin, after a cursor", { scope: { account: "acct_1" }, limit, after: { createdAt: 10_000, id: "job_x" } }],
  ])("%s: a page reads rows in proportion to the page, not to the 20 000 jobs excluded", async (_name, query) => {
    expect(await rowsRead(query)).toBeLessThanOrEqual(4 * limit);
  });

  test("the site-pinned page holds the site's jobs only", async () => {
    const page = await store.list({ scope: { account: "acct_1", siteId: "site_1" }, limit });
    expect(page).toHaveLength(limit);
    expect(page.every((job) => job.resource.site_id === "site_1")).toBe(true);
    expect(await store.stats()).toMatchObject({ jobs: 20_030 });
  });
});

describeWithPostgres("PostgreSQL store: the change feed and the cache (spec §8)", () => {
  test("a change through another replica reaches this one's cache through the feed, with no read", async () => {
    const url = await postgres().emptyDatabase();
    const [a, b] = [await open(url), await open(url)];
    try {
      const job = await add(a);
      expect(b.getCached(job.id)).toBeUndefined(); // never seen here
      await b.get(job.id);
      expect(b.getCached(job.id)?.version).toBe(1);
      const reads = b.jobReads;
      await a.update(job.id, () => ({ status: "running", progress: 0.5 }));
      await eventually(() => b.getCached(job.id)?.version === 2);
      expect(b.getCached(job.id)).toMatchObject({ status: "running", progress: 0.5 });
      // A long-poll's first look, and the wait, come from the cache too.
      const wait = b.waitForChange(job.id, 2, never());
      await a.update(job.id, () => ({ progress: 0.6 }));
      expect((await wait)?.version).toBe(3);
      expect(b.jobReads).toBe(reads);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("the database unreachable: reads reject as unavailable, the cache answers nothing, held waits stay and are healed when it returns", async () => {
    const url = await postgres().emptyDatabase();
    const relay = await startRelay(postgres().port);
    const viaRelay = url.replace(`:${postgres().port}/`, `:${relay.port}/`);
    const [a, b] = [await open(url), await open(viaRelay)];
    try {
      const job = await add(a);
      await b.get(job.id);
      const wait = b.waitForChange(job.id, 1, never());
      const seen: number[] = [];
      const unsubscribe = b.subscribe(job.id, 1, { onChange: (next) => seen.push(next.version), onEnd: () => seen.push(-1) });
      await relay.cut();
      await eventually(() => !b.feedConnected);
      expect(b.getCached(job.id)).toBeUndefined();
      await expect(b.get(job.id)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(b.list({ scope: { account: "acct_1" }, limit: 5 })).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(b.update(job.id, () => ({ progress: 0.9 }))).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(b.checkHealth()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(b.get(job.id)).rejects.toThrow(/^the database cannot be reached \(/);
      // Changed while b cannot hear: the notice is lost to b.
      await a.update(job.id, () => ({ status: "running", progress: 0.3 }));
      await a.update(job.id, () => ({ progress: 0.4 }));
      const outcome = await Promise.race([wait.then((next) => next?.version), new Promise((resolve) => setTimeout(() => resolve("still held"), 300))]);
      expect(outcome).toBe("still held");
      expect(seen).toEqual([]);
      await relay.restore();
      // The feed comes back up and re-reads: the wait and the stream get the missed state.
      expect((await wait)?.version).toBe(3);
      await eventually(() => seen.length > 0);
      expect(seen).toEqual([3]);
      await expect(b.checkHealth()).resolves.toBeUndefined();
      expect((await b.get(job.id))?.progress).toBe(0.4);
      unsubscribe();
    } finally {
      await a.close();
      await b.close();
      await relay.close();
    }
  });

  test("a reconnect of the feed alone re-reads every watched job: a notice lost in between is healed, never waited out", async () => {
    const url = await postgres().emptyDatabase();
    const [a, b] = [await open(url), await open(url)];
    try {
      const jobs = [await add(a), await add(a), await add(a)];
      const waits = jobs.map((job) => b.waitForChange(job.id, 1, never()));
      const ups = () => (b as unknown as { feed: { ups: number } }).feed.ups;
      const before = ups();
      const reads = b.jobReads;
      b.interruptFeed();
      await eventually(() => ups() > before && b.feedConnected);
      // The re-read found nothing new: still held, one batched read for the three.
      expect(b.jobReads - reads).toBe(3);
      for (const job of jobs) await a.update(job.id, () => ({ progress: 0.5 }));
      expect((await Promise.all(waits)).map((next) => next?.version)).toEqual([2, 2, 2]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describeWithPostgres("PostgreSQL store: migrations", () => {
  test("run twice: the second applies nothing; the schema is at this build's version", async () => {
    const url = await postgres().createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      expect(await migrate(pool)).toMatchObject({ from: 0, to: SCHEMA_VERSION, applied: [{ version: 1 }] });
      expect(await migrate(pool)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    } finally {
      await pool.end();
    }
  });

  test("run by many at once: one applies each version, the others wait for it and find nothing to do", async () => {
    const url = await postgres().createDatabase();
    const pools = Array.from({ length: 5 }, () => new pg.Pool({ connectionString: url, max: 1 }));
    try {
      const reports = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(reports.map((report) => report.to)).toEqual(Array(5).fill(SCHEMA_VERSION));
      expect(reports.flatMap((report) => report.applied.map((migration) => migration.version)).sort()).toEqual([1]);
      const { rows } = await pools[0]!.query("SELECT version FROM jobgate.schema_migrations");
      expect(rows).toEqual([{ version: 1 }]);
      // And stores opened at once over a fresh database all start.
      const again = await postgres().createDatabase();
      const stores = await Promise.all([1, 2, 3].map(() => open(again)));
      await Promise.all(stores.map((store) => store.close()));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
  });
});

describeWithPostgres("PostgreSQL store: demo runs (spec §6, §8)", () => {
  test("a replica that stops gracefully gives up its leases: another resumes its demo runs at its next look, before the lease would lapse", async () => {
    const url = await postgres().emptyDatabase();
    const logger = pino({ level: "silent" });
    const leaseMs = 4_000;
    const [a, b] = [await open(url, { demoLeaseMs: leaseMs }), await open(url, { demoLeaseMs: leaseMs })];
    const runnerA = new DemoRunner(a, logger);
    const runnerB = new DemoRunner(b, logger);
    try {
      const id = newJob().id;
      await runnerA.launch({ jobId: id, durationMs: 2_000, fail: false, resultKey: "release_id", resultPrefix: "rel", errorCode: "deploy_failed" }, () =>
        a.insert(newJob({ id })),
      );
      await runnerA.stop(); // SIGTERM: its lease is given up before its first step
      const stoppedAt = Date.now();
      const first = await b.waitForChange(id, 1, never());
      const resumedAfter = Date.now() - stoppedAt;
      // Resumed on b's next look at the ledger (every leaseMs / 4), not once the lease ran out.
      expect(first?.status).toBe("running");
      expect(resumedAfter).toBeLessThan(leaseMs - 1_000);
      let version = first!.version;
      for (;;) {
        const next = await b.waitForChange(id, version, never());
        if (next === undefined || next.status === "succeeded") break;
        version = next.version;
      }
      expect((await b.get(id))?.status).toBe("succeeded");
    } finally {
      await runnerB.stop();
      await a.close();
      await b.close();
    }
  });

  test("a replica that stops renewing has its demo run taken over by another, which finishes it", async () => {
    const url = await postgres().emptyDatabase();
    const logger = pino({ level: "silent" });
    const [a, b] = [await open(url, { demoLeaseMs: 400 }), await open(url, { demoLeaseMs: 400 })];
    const runnerA = new DemoRunner(a, logger);
    const runnerB = new DemoRunner(b, logger);
    try {
      const id = newJob().id;
      const run = { jobId: id, durationMs: 1_200, fail: false, resultKey: "release_id", resultPrefix: "rel", errorCode: "deploy_failed" };
      await runnerA.launch(run, () => a.insert(newJob({ id })));
      await a.close(); // a's connection to the database is gone for good: it cannot renew, nor step
      const done = await (async () => {
        for (let version = 1; ;) {
          const next = await b.waitForChange(id, version, never());
          if (next === undefined || next.status === "succeeded" || next.status === "failed") return next;
          version = next.version;
        }
      })();
      expect(done).toMatchObject({ status: "succeeded", progress: 1, result: { release_id: expect.stringMatching(/^rel_/) } });
      // The run is over: its row goes.
      for (const until = Date.now() + 5_000; ;) {
        const { rows } = await postgres().sql("SELECT count(*)::int AS runs FROM jobgate.demo_runs", new URL(url).pathname.slice(1));
        if (rows[0].runs === 0) break;
        if (Date.now() > until) throw new Error(`${rows[0].runs} demo run rows left`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await runnerA.stop();
      await runnerB.stop();
      await b.close();
    }
  });
});
