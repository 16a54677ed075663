/**
 * What one tenant can cost the others (issue 13), against `jobgate serve` at its defaults:
 *
 * 1. Stalled SSE readers: N streams on one job that never read while E events (~1 KiB
 *    each) are published — the server's peak RSS against the same server with N readers
 *    that keep up, fresh processes, same run. Target: the stalled run's peak at most the
 *    stream budget (--stream-buffer-total) + 64 MiB above the keeping-up run's.
 * 2. List cost: a site-pinned key's first page (20 jobs) p50, beside M jobs of another
 *    site that it cannot see, against beside none, same process. Target ≤ 1.5×.
 */
import { DEFAULT_STREAM_BUFFER_TOTAL_BYTES } from "../../api/defaults.js";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { call, createJob, metricValue } from "../lib/http.js";
import { TOKEN } from "../lib/paths.js";
import { forkWorker, rssOf, startJobgateCli, type ServerProcess } from "../lib/processes.js";
import { ratioOf, type BenchResult, type Figure } from "../lib/report.js";
import { MIB, median } from "../lib/stats.js";

/** Long identifiers (the API's limits) make each event ~1 KiB. */
const LONG = (prefix: string, length: number): string => prefix + "x".repeat(length - prefix.length);
const BIG_JOB = {
  type: `${LONG("deployment", 64)}.${LONG("deploy", 64)}.${LONG("step", 64)}`,
  team_id: "team_1",
  resource: { type: LONG("deployment", 64), site_id: LONG("site_", 128), env_id: LONG("env_", 128) },
};
const PIPELINE = 16;

/** Runs `count` calls of `one`, `PIPELINE` at a time. */
async function pipelined(count: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: PIPELINE }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

async function streamRun(stalled: boolean, readers: number, events: number): Promise<{ peakRss: number; baseRss: number; open: number; dropped: number }> {
  const server = await startJobgateCli(["--log-level", "info"]);
  try {
    const jobId = await createJob(server.url, BIG_JOB);
    const worker = forkWorker("workers/stream-readers", [JSON.stringify({ port: server.port, jobId, token: TOKEN, n: readers, stalled })]);
    try {
      await worker.next(120_000);
      const baseRss = rssOf(server.pid);
      let peakRss = baseRss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssOf(server.pid))), 100);
      await pipelined(events, async (i) => {
        const reply = await call(`${server.url}/internal/v1/jobs/${jobId}`, "PATCH", { progress: (i + 1) / (events + 1) });
        if (reply.status !== 200 && reply.status !== 409) throw new Error(`PATCH: ${reply.status} ${reply.body}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      clearInterval(sampler);
      peakRss = Math.max(peakRss, rssOf(server.pid));
      // The server's own count: a stalled client never reads the close of a stream it does not read.
      const open = await metricValue(server.url, "jobgate_streams_open");
      const dropped = await metricValue(server.url, "jobgate_limit_hits_total");
      return { peakRss, baseRss, open, dropped };
    } finally {
      worker.send({ type: "close" });
      await worker.stop();
    }
  } finally {
    await server.stop();
  }
}

async function listP50(server: ServerProcess, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const reply = await call(`${server.url}/v1/jobs`, "GET", undefined, { Authorization: "Bearer mfk_dev_site1" });
    if (reply.status !== 200) throw new Error(`list: ${reply.status}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function runTenancy(ctx: BenchContext): Promise<BenchResult> {
  const readers = numberFlag(ctx, "readers", 1_000, 200);
  const events = numberFlag(ctx, "events", 7_000, 6_000);
  const others = numberFlag(ctx, "others", 100_000, 20_000);
  const figures: Figure[] = [];

  const keepingUp = await streamRun(false, readers, events);
  console.log(
    `  [tenancy] ${readers} readers keeping up, ${events} events: peak RSS ${(keepingUp.peakRss / MIB).toFixed(0)} MiB, ${keepingUp.open} streams open`,
  );
  const stalled = await streamRun(true, readers, events);
  console.log(
    `  [tenancy] ${readers} stalled readers, ${events} events: peak RSS ${(stalled.peakRss / MIB).toFixed(0)} MiB, ${stalled.open} streams left open, ${stalled.dropped} ended by a limit`,
  );
  const allowance = DEFAULT_STREAM_BUFFER_TOTAL_BYTES + 64 * MIB;
  figures.push({
    name: `peak RSS, ${readers} stalled SSE readers`,
    unit: "MiB",
    value: stalled.peakRss / MIB,
    baseline: keepingUp.peakRss / MIB,
    baselineName: "readers keeping up",
    ratio: ratioOf(stalled.peakRss, keepingUp.peakRss),
    target: `≤ +${allowance / MIB} MiB (budget + 64)`,
    met: stalled.peakRss - keepingUp.peakRss <= allowance,
  });

  const server = await startJobgateCli(["--log-level", "info", "--max-jobs", String(others + 1_000), "--max-account-jobs", String(others + 1_000)]);
  try {
    for (let i = 0; i < 20; i++) await createJob(server.url);
    await listP50(server, 50); // warm-up
    const alone = await listP50(server, 300);
    const site2 = { ...BIG_JOB, resource: { type: "deployment", site_id: "site_2" } };
    await pipelined(others, () => createJob(server.url, site2));
    await listP50(server, 50);
    const beside = await listP50(server, 300);
    console.log(`  [tenancy] site-pinned list p50: ${alone.toFixed(2)} ms alone, ${beside.toFixed(2)} ms beside ${others} jobs of another site`);
    figures.push({
      name: `list p50, pinned key, beside ${others} jobs it cannot see`,
      unit: "ms",
      value: beside,
      baseline: alone,
      baselineName: "beside none",
      ratio: ratioOf(beside, alone),
      target: "≤ 1.5×",
      met: beside <= 1.5 * alone,
    });
  } finally {
    await server.stop();
  }
  return {
    name: "tenancy",
    title: `one tenant's cost to others: ${readers} SSE readers × ${events} events; a pinned list beside ${others} jobs`,
    figures,
    notes: [`stalled run: ${stalled.dropped} streams ended by a limit, ${stalled.open} left open`],
    raw: { keepingUp, stalled },
  };
}
