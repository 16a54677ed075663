/**
 * The store-scale worker (forked with --expose-gc; one JSON result over IPC). Uses
 * MemoryJobStore directly — no HTTP — so the figures are the store's own:
 * 1. heap per stored job (in flight, then finished), against the same job objects alone
 *    in a Map;
 * 2. publish (insert) and patch (update) throughput in a store at its bound with
 *    100 000 jobs, against the same store at its bound with 1 000;
 * 3. 1 000 000 jobs published and finished with the default max-jobs: heap at each
 *    checkpoint must plateau once the store is full (time-bounded; the run says where
 *    it stopped if the bound cuts it short).
 */
import { performance } from "node:perf_hooks";
import { DEFAULT_MAX_JOBS } from "../../api/defaults.js";
import { MemoryJobStore } from "../../proxy/store/memory.js";
import type { NewJob, StoredJob } from "../../proxy/store/types.js";
import { newJobId } from "../../proxy/ulid.js";

interface Config {
  readonly n: number;
  readonly small: number;
  readonly opsTimeMs: number;
  readonly million: number;
  readonly millionTimeMs: number;
  readonly checkpoint: number;
}

const config = JSON.parse(process.argv[2]!) as Config;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

let serial = 0;
function newJob(): NewJob {
  serial++;
  return {
    id: newJobId(),
    account: "acct_dev",
    teamId: "team_1",
    type: "deployment.deploy",
    resource: { type: "deployment", id: `env_${serial % 1000}`, site_id: `site_${serial % 100}`, env_id: `env_${serial % 1000}` },
  };
}

const IN_FLIGHT_WINDOW = 100;
const FINISH = { status: "succeeded" as const, progress: 1, result: { release_id: "rel_bench" } };

async function memoryPerJob(): Promise<Record<string, number>> {
  const n = config.n;
  // Warm-up (code, ULID pool, feedback), not measured.
  const warm = new MemoryJobStore();
  for (let i = 0; i < 10_000; i++) await warm.update((await warm.insert(newJob())).job.id, () => FINISH);
  await warm.close();
  // Baseline: the job objects alone (exactly the shape the store builds) in a Map.
  let h0 = heap();
  let map: Map<string, StoredJob> | undefined = new Map();
  for (let i = 0; i < n; i++) {
    const fresh = newJob();
    map.set(fresh.id, { ...fresh, status: "queued", progress: 0, createdAt: Date.now(), result: null, error: null, version: 1 });
  }
  const mapQueued = (heap() - h0) / n;
  for (const [id, job] of map) map.set(id, { ...job, ...FINISH, version: 2 });
  const mapFinished = (heap() - h0) / n;
  if (map.size !== n) throw new Error("lost jobs"); // keeps the map alive across the measurement
  map = undefined; // eslint-disable-line no-useless-assignment -- drops the last reference before the next heap reading

  h0 = heap();
  const store = new MemoryJobStore();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await store.insert(newJob())).job.id);
  // The ids array is the bench's own (8 B a job): subtracted.
  const storeInFlight = (heap() - h0) / n - 8;
  if (ids.length !== n || (await store.stats()).jobs !== n) throw new Error("lost jobs");
  for (const id of ids) await store.update(id, () => FINISH);
  const storeFinished = (heap() - h0) / n - 8;
  if ((await store.stats()).jobs !== n) throw new Error("lost jobs"); // keeps the store alive across the measurement
  await store.close();
  return { mapQueued, mapFinished, storeInFlight, storeFinished };
}

/** A store at its bound (maxJobs = stored), every job finished, as after a busy day. */
async function fullStore(stored: number): Promise<MemoryJobStore> {
  const store = new MemoryJobStore({ maxJobs: stored });
  for (let i = 0; i < stored; i++) {
    const { job } = await store.insert(newJob());
    await store.update(job.id, () => FINISH);
  }
  return store;
}

async function throughput(stored: number): Promise<{ publishPerS: number; publishes: number; patchPerS: number; patches: number }> {
  const store = await fullStore(stored);
  // Jobs run and finish, as in life: beyond a window of IN_FLIGHT_WINDOW the oldest
  // published job is finished (not timed), so the store stays at its bound without
  // filling up with jobs in flight. Only the insert calls are timed.
  const inserted: string[] = [];
  const started = performance.now();
  let insertMs = 0;
  let publishes = 0;
  while (performance.now() - started < config.opsTimeMs) {
    const t = performance.now();
    const { job } = await store.insert(newJob());
    insertMs += performance.now() - t;
    inserted.push(job.id);
    publishes++;
    if (inserted.length > IN_FLIGHT_WINDOW) await store.update(inserted.shift()!, () => FINISH);
  }
  const publishPerS = publishes / (insertMs / 1000);
  const patchStarted = performance.now();
  let patches = 0;
  let step = 0;
  while (performance.now() - patchStarted < config.opsTimeMs) {
    step++;
    for (let k = 0; k < 10; k++) {
      const id = inserted[(patches + k) % inserted.length]!;
      await store.update(id, () => ({ status: "running", progress: Math.min(1, step / 1e6) }));
    }
    patches += 10;
  }
  const patchPerS = patches / ((performance.now() - patchStarted) / 1000);
  await store.close();
  return { publishPerS, publishes, patchPerS, patches };
}

async function million(): Promise<{ checkpoints: Array<Record<string, number>>; reached: number }> {
  const store = new MemoryJobStore();
  const base = heap();
  const checkpoints: Array<Record<string, number>> = [];
  const started = performance.now();
  let lastMark = started;
  let lastCount = 0;
  for (let i = 1; i <= config.million; i++) {
    const { job } = await store.insert(newJob());
    await store.update(job.id, () => FINISH);
    if (i % config.checkpoint === 0 || i === config.million) {
      const now = performance.now();
      const rate = (i - lastCount) / ((now - lastMark) / 1000);
      const stats = await store.stats();
      checkpoints.push({ jobs: i, stored: stats.jobs, heapDelta: heap() - base, rss: process.memoryUsage().rss, perS: rate });
      lastMark = performance.now();
      lastCount = i;
    }
    if (performance.now() - started > config.millionTimeMs) break;
  }
  await store.close();
  return { checkpoints, reached: lastCount };
}

const result = {
  defaultMaxJobs: DEFAULT_MAX_JOBS,
  memory: await memoryPerJob(),
  atScale: await throughput(config.n),
  atSmall: await throughput(config.small),
  million: await million(),
};
process.send!({ type: "result", ...result });
process.disconnect();
