/**
 * 7. The PostgreSQL store (issue 11, spec §8), each figure beside the memory store measured
 * in the same run, on one throwaway PostgreSQL cluster started here (with its default
 * durability: fsync and synchronous commit on):
 *
 * 1. fan-out: N held long-polls spread over 2 replicas on one database, one PATCH through
 *    the first: all answered, PATCH→200 p99 — against one `jobgate serve` on memory holding N;
 * 2. 304s: throughput, and the jobgate process's CPU per 304 (the database's CPU beside it),
 *    of a replica on PostgreSQL against one on memory, autocannon A B A B;
 * 3. publish and patch throughput with 100 000 jobs stored (the stores used directly, the
 *    same operations in flight), below the bound and at it;
 * 4. list: p50 of `GET /v1/jobs` (20 jobs) for a site-pinned key beside 100 000 jobs of
 *    other sites, against the same beside none.
 */
import { readdirSync, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import pg from "pg";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { bulkJobs } from "../lib/bulk-jobs.js";
import { call, createJob } from "../lib/http.js";
import { FORGE_VERSION } from "../lib/paths.js";
import { startPostgresCluster, type PostgresCluster } from "../lib/postgres-cluster.js";
import { forkWorker, startJobgateCli, type ServerProcess } from "../lib/processes.js";
import { ratioOf, type BenchResult, type Figure } from "../lib/report.js";
import { distribution, median, type Distribution } from "../lib/stats.js";
import { fanoutRound } from "./long-poll-fanout.js";
import { autocannon } from "./throughput-304.js";
import type { Throughput } from "../workers/postgres-store.js";

/** The site-pinned development key (examples/keys.json: acct_dev, site_1). */
const SITE_TOKEN = "mfk_dev_site1";
const ACCOUNT = "acct_dev";

/** CPU seconds a process has used (utime + stime from /proc; ticks are 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of every `postgres` process (the cluster's server and backends). */
function postgresCpuSeconds(): number {
  let sum = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "postgres") sum += cpuSeconds(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

interface FanoutRound {
  server: string;
  ok: number;
  latency: Distribution;
}

/** N long-polls spread over two replicas on one database; the PATCH goes to the first. */
async function replicatedFanout(url: string, n: number): Promise<FanoutRound> {
  const args = ["--store", url, "--max-holds-per-key", String(n + 100)];
  const replicas = [await startJobgateCli(args), await startJobgateCli(args)];
  try {
    const jobId = await createJob(replicas[0]!.url);
    const worker = forkWorker("clients/fanout-client", [
      JSON.stringify({ port: replicas[0]!.port, ports: replicas.map((r) => r.port), jobId, n, mode: "long-poll", probe: "metrics" }),
    ]);
    try {
      const ready = await worker.next<{ type: string; message?: string }>(240_000);
      if (ready.type !== "ready") throw new Error(`postgres fan-out generator: ${ready.message}`);
      worker.send({ type: "go" });
      const result = await worker.next<{ type: string; message?: string; latencies: number[]; ok: number }>(120_000);
      if (result.type !== "result") throw new Error(`postgres fan-out generator: ${result.message}`);
      return { server: "postgres", ok: result.ok, latency: distribution(result.latencies) };
    } finally {
      await worker.stop();
    }
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
  }
}

/** Sequential keep-alive GETs of `path`; their latencies in ms. */
async function latencies(baseUrl: string, path: string, token: string, count: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const req = request(`${baseUrl}${path}`, { agent, headers: { Authorization: `Bearer ${token}`, "Forge-Version": FORGE_VERSION } }, (res) => {
          if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode}`));
          res.resume();
          res.on("end", () => resolve());
        });
        req.on("error", reject);
        req.end();
      });
      out.push(performance.now() - started);
    }
  } finally {
    agent.destroy();
  }
  return out;
}

/** What one part of the benchmark adds to the result. */
interface Part {
  figures: Figure[];
  notes: string[];
  raw: Record<string, unknown>;
}

interface Sizes {
  readonly n: number;
  readonly rounds: number;
  readonly seconds: number;
  readonly rounds304: number;
  readonly stored: number;
  readonly opsTimeMs: number;
  readonly listRequests: number;
}

/** 1. Fan-out over two replicas, against memory's single process. */
async function fanoutPart(cluster: PostgresCluster, { n, rounds }: Sizes, { figures, raw }: Part): Promise<void> {
  const fanouts: FanoutRound[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 === 0 ? (["memory", "postgres"] as const) : (["postgres", "memory"] as const)) {
      const round =
        kind === "memory" ? { ...(await fanoutRound("jobgate", "long-poll", n)), server: "memory" } : await replicatedFanout(await cluster.createDatabase(), n);
      fanouts.push(round);
      console.log(
        `  [postgres] fan-out round ${r + 1} ${kind}: ${round.ok}/${n} answered 200, p50 ${round.latency.p50.toFixed(1)} ms, p99 ${round.latency.p99.toFixed(1)} ms, max ${round.latency.max.toFixed(1)} ms`,
      );
    }
  }
  raw.fanout = fanouts;
  const fan = (server: string, pick: (r: FanoutRound) => number) => median(fanouts.filter((r) => r.server === server).map(pick));
  const answered = Math.min(...fanouts.filter((r) => r.server === "postgres").map((r) => r.ok));
  const p99 = fan("postgres", (r) => r.latency.p99);
  const memP99 = fan("memory", (r) => r.latency.p99);
  figures.push(
    {
      name: `fan-out: 200s over 2 replicas (${n} held)`,
      unit: "",
      value: answered,
      baseline: Math.min(...fanouts.filter((r) => r.server === "memory").map((r) => r.ok)),
      baselineName: "memory, 1 process",
      target: `= ${n}`,
      met: answered === n,
    },
    {
      name: "fan-out: PATCH→200 p50",
      unit: "ms",
      value: fan("postgres", (r) => r.latency.p50),
      baseline: fan("memory", (r) => r.latency.p50),
      baselineName: "memory, 1 process",
      ratio: ratioOf(
        fan("postgres", (r) => r.latency.p50),
        fan("memory", (r) => r.latency.p50),
      ),
    },
    {
      name: "fan-out: PATCH→200 p99",
      unit: "ms",
      value: p99,
      baseline: memP99,
      baselineName: "memory, 1 process",
      ratio: ratioOf(p99, memP99),
      target: "≤ 1.5× memory",
      met: p99 <= 1.5 * memP99,
    },
  );
}

/** 2. 304s: a replica on PostgreSQL against one on memory. */
async function throughputPart(cluster: PostgresCluster, { seconds, rounds304 }: Sizes, { figures, notes, raw }: Part): Promise<void> {
  const servers: Array<{ server: ServerProcess; url: string; kind: string }> = [];
  const runs: Array<{ kind: string; round: number; rps: number; total: number; cpuPer304Us: number; postgresCpuPer304Us: number; all304: boolean }> = [];
  try {
    for (const kind of ["memory", "postgres"]) {
      const server = await startJobgateCli(kind === "postgres" ? ["--store", await cluster.createDatabase()] : []);
      const jobId = await createJob(server.url);
      const url = `${server.url}/v1/jobs/${jobId}`;
      const probe = await call(url, "GET", undefined, { "If-None-Match": '"w/job-1"' });
      if (probe.status !== 304) throw new Error(`${kind}: expected 304, got ${probe.status}`);
      servers.push({ server, url, kind });
    }
    for (const { url } of servers) await autocannon(url, 50, Math.min(2, seconds)); // warm-up
    for (let round = 1; round <= rounds304; round++) {
      for (const { server, url, kind } of round % 2 === 1 ? servers : [...servers].reverse()) {
        const [cpu0, pg0] = [cpuSeconds(server.pid), postgresCpuSeconds()];
        const out = await autocannon(url, 50, seconds);
        const [cpu1, pg1] = [cpuSeconds(server.pid), postgresCpuSeconds()];
        const run = {
          kind,
          round,
          rps: out.requests.average,
          total: out.requests.total,
          cpuPer304Us: ((cpu1 - cpu0) / out.requests.total) * 1e6,
          postgresCpuPer304Us: ((pg1 - pg0) / out.requests.total) * 1e6,
          all304: out["3xx"] === out.requests.total && out.errors + out.timeouts === 0,
        };
        runs.push(run);
        console.log(
          `  [postgres] 304 round ${round} ${kind}: ${Math.round(run.rps)} req/s, jobgate CPU ${run.cpuPer304Us.toFixed(1)} µs/304, postgres CPU ${run.postgresCpuPer304Us.toFixed(2)} µs/304${run.all304 ? "" : " (NOT all 304)"}`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map(({ server }) => server.stop()));
  }
  raw.throughput304 = runs;
  const of304 = (kind: string, pick: (r: (typeof runs)[number]) => number) => {
    const picked = runs.filter((r) => r.kind === kind).map(pick);
    return picked.reduce((sum, value) => sum + value, 0) / picked.length;
  };
  const rps = of304("postgres", (r) => r.rps);
  const memRps = of304("memory", (r) => r.rps);
  const cpu = of304("postgres", (r) => r.cpuPer304Us);
  const memCpu = of304("memory", (r) => r.cpuPer304Us);
  figures.push(
    {
      name: "304 throughput",
      unit: "req/s",
      value: rps,
      baseline: memRps,
      baselineName: "memory",
      ratio: ratioOf(rps, memRps),
      target: "≥ 0.8× memory",
      met: rps >= 0.8 * memRps,
    },
    {
      name: "jobgate CPU per 304",
      unit: "µs",
      value: cpu,
      baseline: memCpu,
      baselineName: "memory",
      ratio: ratioOf(cpu, memCpu),
      target: "≤ 1.25× memory",
      met: cpu <= 1.25 * memCpu,
    },
    { name: "PostgreSQL CPU per 304", unit: "µs", value: of304("postgres", (r) => r.postgresCpuPer304Us) },
  );
  if (!runs.every((r) => r.all304)) notes.push("WARNING: some 304 runs had answers that were not 304s, or errors");
}

/** 3. Publish and patch with 100 000 stored, the stores used directly. */
async function storePart(cluster: PostgresCluster, { stored, opsTimeMs }: Sizes, { figures, notes, raw }: Part): Promise<void> {
  const worker = forkWorker("workers/postgres-store", [
    JSON.stringify({ urls: [await cluster.createDatabase(), await cluster.createDatabase()], n: stored, opsTimeMs, inFlight: 16 }),
  ]);
  let store: { type: string; message?: string; postgres: Throughput & { stored: number }; memory: Throughput & { stored: number } };
  try {
    store = await worker.next(600_000);
  } finally {
    await worker.stop();
  }
  if (store.type !== "result") throw new Error(`postgres store worker: ${store.message}`);
  raw.store = store;
  const { postgres: pgStore, memory: memStore } = store;
  figures.push(
    {
      name: `publish, ${stored / 1000}k stored`,
      unit: "ops/s",
      value: pgStore.publishPerS,
      baseline: memStore.publishPerS,
      baselineName: "memory",
      ratio: ratioOf(pgStore.publishPerS, memStore.publishPerS),
    },
    {
      name: `patch, ${stored / 1000}k stored`,
      unit: "ops/s",
      value: pgStore.patchPerS,
      baseline: memStore.patchPerS,
      baselineName: "memory",
      ratio: ratioOf(pgStore.patchPerS, memStore.patchPerS),
    },
    {
      name: `publish+finish at the bound (${stored / 1000}k, each evicts)`,
      unit: "pairs/s",
      value: pgStore.publishAtBoundPerS,
      baseline: memStore.publishAtBoundPerS,
      baselineName: "memory",
      ratio: ratioOf(pgStore.publishAtBoundPerS, memStore.publishAtBoundPerS),
    },
  );
  notes.push(`store throughput: the stores used directly (no HTTP), 16 operations in flight, ${opsTimeMs / 1000} s each; PostgreSQL pool of 10`);
}

/** 4. A site-pinned page beside 100 000 jobs of other sites, against beside none. */
async function listPart(cluster: PostgresCluster, { rounds, stored, listRequests }: Sizes, { figures, raw }: Part): Promise<void> {
  const lists: ServerProcess[] = [];
  const listRuns: Array<{ beside: number; p50: number; p99: number }> = [];
  try {
    for (const beside of [0, stored]) {
      const url = await cluster.createDatabase();
      const server = await startJobgateCli(["--store", url, "--max-jobs", String(10 * stored), "--max-account-jobs", String(10 * stored)]);
      lists.push(server);
      if (beside > 0) {
        const client = new pg.Client(url);
        await client.connect();
        await bulkJobs(client, { count: beside, account: ACCOUNT, prefix: "X", finishedShare: 0.75 });
        await client.end();
      }
      for (let i = 0; i < 25; i++)
        await createJob(server.url, { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } });
    }
    for (const server of lists) await latencies(server.url, "/v1/jobs?limit=20", SITE_TOKEN, 100); // warm-up
    for (let round = 0; round < 2 * rounds; round++) {
      const index = round % 2;
      const values = await latencies(lists[index]!.url, "/v1/jobs?limit=20", SITE_TOKEN, listRequests);
      const d = distribution(values);
      listRuns.push({ beside: index === 0 ? 0 : stored, p50: d.p50, p99: d.p99 });
      console.log(`  [postgres] list beside ${index === 0 ? 0 : stored} jobs of other sites: p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms`);
    }
  } finally {
    await Promise.all(lists.map((server) => server.stop()));
  }
  raw.list = listRuns;
  const listP50 = median(listRuns.filter((r) => r.beside > 0).map((r) => r.p50));
  const bareListP50 = median(listRuns.filter((r) => r.beside === 0).map((r) => r.p50));
  figures.push({
    name: `list p50, site-pinned key, beside ${stored / 1000}k other sites' jobs`,
    unit: "ms",
    value: listP50,
    baseline: bareListP50,
    baselineName: "beside none",
    ratio: ratioOf(listP50, bareListP50),
    target: "≤ 1.5×",
    met: listP50 <= 1.5 * bareListP50,
  });
}

/** In this order (a Map: an object would put the key "304" first). */
const PARTS = new Map<string, (cluster: PostgresCluster, sizes: Sizes, part: Part) => Promise<void>>([
  ["fanout", fanoutPart],
  ["304", throughputPart],
  ["store", storePart],
  ["list", listPart],
]);

export async function runPostgres(ctx: BenchContext): Promise<BenchResult> {
  const sizes: Sizes = {
    n: numberFlag(ctx, "n", 10_000, 1_000),
    rounds: numberFlag(ctx, "rounds", 3, 1),
    seconds: numberFlag(ctx, "duration", 5, 2),
    rounds304: numberFlag(ctx, "rounds-304", 4, 2),
    stored: numberFlag(ctx, "stored", 100_000, 100_000),
    opsTimeMs: numberFlag(ctx, "ops-ms", 5_000, 2_000),
    listRequests: numberFlag(ctx, "list-requests", 2_000, 500),
  };
  // --parts=fanout,304,store,list runs some of them (default: all, in that order).
  const names = ctx.flags.parts?.split(",") ?? [...PARTS.keys()];
  const unknown = names.filter((name) => !PARTS.has(name));
  if (unknown.length > 0) throw new Error(`--parts: unknown ${unknown.join(", ")}; expected some of ${[...PARTS.keys()].join(", ")}`);
  const part: Part = { figures: [], notes: [], raw: { sizes } };
  const cluster = await startPostgresCluster({ durable: true });
  try {
    part.notes.push(`PostgreSQL ${cluster.version} on 127.0.0.1, default durability (fsync, synchronous_commit on), same 2 cores`);
    for (const name of names) await PARTS.get(name)!(cluster, sizes, part);
  } finally {
    await cluster.destroy();
  }
  return {
    name: "postgres",
    title: `PostgreSQL store against memory: fan-out over 2 replicas (${sizes.n}), 304s, publish/patch at ${sizes.stored / 1000}k stored, list beside ${sizes.stored / 1000}k`,
    ...part,
  };
}
