/**
 * 4. The waiter's cost: one job changing 5 times over 60 s (--quick: 15 s). Requests
 * made and detection latency (from sending the PATCH until the waiter receives the 200
 * carrying the change) for (a) the ETag long-poll waiter — the real `jobgate jobs wait`
 * when the CLI has it, else an equivalent loop (bench/clients/poll-waiter.ts) — and
 * (b) the seed's loop (304s with a 2 s sleep). Both run at once against one
 * `jobgate serve`, each on its own job behind its own counting proxy (in this process,
 * so the PATCH times and the answers share one clock); the server's
 * `jobgate_http_requests_total` cross-checks the proxies' counts.
 */
import { spawn, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { startCountingRelay, type CountingRelay, type RelayedAnswer } from "../lib/counting-relay.js";
import { createJob, metricValue, patchJob } from "../lib/http.js";
import { benchScript, CLI, TOKEN } from "../lib/paths.js";
import { startJobgateCli } from "../lib/processes.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { distribution } from "../lib/stats.js";

const CHANGES = 5;
/**
 * Where in its slot each change falls (fraction of a 2 s seed sleep past the slot's
 * middle): fixed, so runs compare, but not a multiple of 2 s, which would phase-lock
 * the seed loop and make its detection look better or worse than it is.
 */
const PHASES = [0.13, 0.62, 0.29, 0.81, 0.47];
const SEED_SLEEP_MS = 2_000;
const SEED_MEAN_DETECTION_MS = 1_000;

function cliHasJobsWait(): boolean {
  const probe = spawnSync(process.execPath, [CLI, "jobs", "wait", "--help"], { encoding: "utf8", timeout: 15_000 });
  return probe.status === 0 && /wait/.test(probe.stdout);
}

function startWaiter(kind: "cli" | "long-poll" | "seed", proxyUrl: string, jobId: string, timeoutMs: number): Promise<number | null> {
  const args = kind === "cli" ? [CLI, "jobs", "wait", jobId] : [benchScript("clients/poll-waiter"), kind, proxyUrl, jobId];
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, JOBGATE_API_URL: proxyUrl, JOBGATE_TOKEN: TOKEN },
  });
  child.stderr.resume();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
}

export async function runWaiterCost(ctx: BenchContext): Promise<BenchResult> {
  const totalS = numberFlag(ctx, "seconds", 60, 15);
  const intervalMs = (totalS * 1000) / CHANGES; // change k at (k − ½) slots + its phase
  const useCli = ctx.flags.waiter === "loop" ? false : cliHasJobsWait();
  const server = await startJobgateCli();
  const proxies: CountingRelay[] = [];
  try {
    const jobA = await createJob(server.url);
    const jobB = await createJob(server.url);
    proxies.push(await startCountingRelay(server.port), await startCountingRelay(server.port));
    const [proxyA, proxyB] = proxies as [CountingRelay, CountingRelay];
    const getsBefore = await metricValue(server.url, "jobgate_http_requests_total", { route: "GET /v1/jobs/:jobID" });
    const started = performance.now();
    const exits = Promise.all([
      startWaiter(useCli ? "cli" : "long-poll", proxyA.url, jobA, totalS * 1000 + 60_000),
      startWaiter("seed", proxyB.url, jobB, totalS * 1000 + 60_000),
    ]);
    const changedAt: number[] = [];
    for (let k = 1; k <= CHANGES; k++) {
      await sleep(Math.max(0, started + (k - 0.5) * intervalMs + PHASES[k - 1]! * SEED_SLEEP_MS - performance.now()));
      const change = k < CHANGES ? { status: "running", progress: k / CHANGES } : { status: "succeeded", result: { release_id: "rel_bench" } };
      const at = performance.now();
      await Promise.all([patchJob(server.url, jobA, change), patchJob(server.url, jobB, change)]);
      changedAt.push(at);
    }
    const [codeA, codeB] = await exits;
    const getsAfter = await metricValue(server.url, "jobgate_http_requests_total", { route: "GET /v1/jobs/:jobID" });

    const detect = (seen: RelayedAnswer[]): number[] =>
      changedAt.map((at, i) => {
        const hit = seen.find((s) => s.status === 200 && s.version >= i + 2 && s.at >= at);
        return hit === undefined ? Number.NaN : hit.at - at;
      });
    const requestsA = proxyA.seen.length;
    const requestsB = proxyB.seen.length;
    const detectA = distribution(detect(proxyA.seen));
    const detectB = distribution(detect(proxyB.seen));
    const waiterName = useCli ? "jobgate jobs wait (real CLI)" : "ETag long-poll loop (equivalent of jobs wait)";
    const limit = CHANGES + 2;
    return {
      name: "waiter",
      title: `the waiter's cost: one job, ${CHANGES} changes over ${totalS} s; ${waiterName} vs the seed's 2 s loop`,
      figures: [
        {
          name: "requests",
          unit: "req",
          value: requestsA,
          baseline: requestsB,
          baselineName: "seed loop",
          ratio: ratioOf(requestsA, requestsB),
          target: `≤ ${limit}`,
          met: requestsA <= limit,
        },
        {
          name: "detection mean",
          unit: "ms",
          value: detectA.mean,
          baseline: detectB.mean,
          baselineName: "seed loop",
          ratio: ratioOf(detectA.mean, detectB.mean),
        },
        {
          name: "detection max",
          unit: "ms",
          value: detectA.max,
          baseline: detectB.max,
          baselineName: "seed loop",
          ratio: ratioOf(detectA.max, detectB.max),
          target: "< 100 ms each",
          met: detectA.max < 100,
        },
      ],
      notes: [
        `waiter (a): ${waiterName}${useCli ? "" : " — `jobgate jobs wait` is not in the CLI yet, so this is the loop it will run"}; exit codes: a=${codeA}, b=${codeB}`,
        `server-side GET /v1/jobs/:jobID count during the run: ${getsAfter - getsBefore} (proxies: ${requestsA} + ${requestsB} = ${requestsA + requestsB})`,
        `per-change detection (ms): a=[${detect(proxyA.seen)
          .map((v) => v.toFixed(1))
          .join(", ")}], b=[${detect(proxyB.seen)
          .map((v) => v.toFixed(0))
          .join(", ")}]`,
        `the seed loop's expected mean detection is ~${SEED_MEAN_DETECTION_MS} ms (half its 2 s sleep)`,
      ],
      raw: { useCli, totalS, changedAt, seenA: proxyA.seen, seenB: proxyB.seen, codeA, codeB, serverGets: getsAfter - getsBefore },
    };
  } finally {
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await server.stop();
  }
}
