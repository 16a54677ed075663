/**
 * The store-throughput worker of the postgres benchmark (forked; one JSON result over
 * IPC): publish (insert) and patch (update) throughput with 100 000 jobs stored, on
 * PostgresJobStore and on MemoryJobStore, used directly (no HTTP), each driven with the
 * same number of operations in flight. Below the bound (`maxJobs` far above what is
 * stored), then at it (every publish evicts the least recently finished job; each
 * published job is finished at once, so the store stays full of finished ones).
 */
import { performance } from "node:perf_hooks";
import pg from "pg";
import { MemoryJobStore } from "../../proxy/store/memory.js";
import { openPostgresStore } from "../../proxy/store/postgres/store.js";
import type { JobStore, NewJob, StoredJob } from "../../proxy/store/types.js";
import { newJobId } from "../../proxy/ulid.js";
import { bulkJobs } from "../lib/bulk-jobs.js";

interface Config {
  /** Databases to use, empty: one below the bound, one at it. */
  readonly urls: readonly [string, string];
  readonly n: number;
  readonly opsTimeMs: number;
  readonly inFlight: number;
}

export interface Throughput {
  readonly publishPerS: number;
  readonly patchPerS: number;
  /** Publish-and-finish pairs per second in a full store (each publish evicts). */
  readonly publishAtBoundPerS: number;
}

const config = JSON.parse(process.argv[2]!) as Config;
const ACCOUNT = "acct_dev";
let serial = 0;

function newJob(): NewJob {
  serial++;
  return {
    id: newJobId(),
    account: ACCOUNT,
    teamId: "team_1",
    type: "deployment.deploy",
    resource: { type: "deployment", id: `site_${serial % 100}`, site_id: `site_${serial % 100}` },
  };
}

/** Runs `op` with `inFlight` calls outstanding for `ms`; operations per second. */
async function rate(ms: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  let i = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: config.inFlight }, async () => {
      while (performance.now() < until) {
        await op(i++);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function measure(store: JobStore, running: readonly string[], atBound: JobStore): Promise<Throughput> {
  // Warm-up (JIT, pool connections), not measured.
  await rate(Math.min(1_000, config.opsTimeMs / 3), () => store.insert(newJob()));
  const publishPerS = await rate(config.opsTimeMs, () => store.insert(newJob()));
  // Each patch nudges a different running job forward, as producers reporting progress do.
  const patchPerS = await rate(config.opsTimeMs, (i) =>
    store.update(running[i % running.length]!, (current: StoredJob) => ({ progress: Math.min(0.99, current.progress + 0.000_01) })),
  );
  // At the bound each publish evicts a finished job; finishing what it publishes keeps
  // the store from filling up with jobs in flight (which would then refuse publishes).
  const publishAndFinish = async (): Promise<void> => {
    const { job } = await atBound.insert(newJob());
    await atBound.update(job.id, () => ({ status: "succeeded", progress: 1 }));
  };
  await rate(Math.min(1_000, config.opsTimeMs / 3), publishAndFinish);
  const publishAtBoundPerS = await rate(config.opsTimeMs, publishAndFinish);
  return { publishPerS, patchPerS, publishAtBoundPerS };
}

async function postgres(): Promise<Throughput & { stored: number }> {
  const running: string[] = [];
  for (const url of config.urls) {
    const client = new pg.Client(url);
    await client.connect();
    await openPostgresStore({ url, poolSize: 1 }).then((store) => store.close()); // the schema
    await bulkJobs(client, { count: config.n, account: ACCOUNT, prefix: "B" });
    if (running.length === 0) {
      const { rows } = await client.query<{ id: string }>("SELECT id FROM jobgate.jobs WHERE status = 'running'");
      running.push(...rows.map((row) => row.id));
    }
    await client.end();
  }
  // One account holds everything here: its quota is the store's bound.
  const store = await openPostgresStore({ url: config.urls[0], maxJobs: 10 * config.n, maxAccountJobs: 10 * config.n });
  const atBound = await openPostgresStore({ url: config.urls[1], maxJobs: config.n, maxAccountJobs: config.n });
  try {
    return { ...(await measure(store, running, atBound)), stored: (await store.stats()).jobs };
  } finally {
    await store.close();
    await atBound.close();
  }
}

async function memory(): Promise<Throughput & { stored: number }> {
  const fill = async (store: MemoryJobStore): Promise<string[]> => {
    const running: string[] = [];
    for (let i = 0; i < config.n; i++) {
      const { job } = await store.insert(newJob());
      if (i < config.n * 0.8) await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
      else running.push((await store.update(job.id, () => ({ status: "running", progress: 0.5 })))!.id);
    }
    return running;
  };
  const store = new MemoryJobStore({ maxJobs: 10 * config.n, maxAccountJobs: 10 * config.n });
  const atBound = new MemoryJobStore({ maxJobs: config.n, maxAccountJobs: config.n });
  try {
    const running = await fill(store);
    await fill(atBound);
    return { ...(await measure(store, running, atBound)), stored: (await store.stats()).jobs };
  } finally {
    await store.close();
    await atBound.close();
  }
}

try {
  const pgResult = await postgres();
  const memResult = await memory();
  process.send!({ type: "result", postgres: pgResult, memory: memResult });
} catch (error) {
  process.send!({ type: "error", message: (error as Error).stack ?? String(error) });
}
process.disconnect();
