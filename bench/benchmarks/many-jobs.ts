/**
 * Issue 14: waiting on many jobs. 100 jobs, each changing 3 times over 30 s (running 33 %,
 * running 67 %, succeeded; --quick: 20 jobs over 15 s), followed by
 *
 *   one     one `jobgate jobs wait ID…` with all 100 ids
 *   many    100 `jobgate jobs wait ID` processes, one per job (the baseline)
 *
 * against one `jobgate serve`, each group on its own 100 jobs changed at the same moments,
 * behind its own counting relay. Figures: requests per job (target ≤ changes + 2),
 * detection latency from the PATCH to the CLI's stderr line for that job and state
 * (target p99 < 100 ms), CPU time and peak resident memory of the waiters (from /proc).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { startCountingRelay } from "../lib/counting-relay.js";
import { createJob, patchJob } from "../lib/http.js";
import { CLI, TOKEN } from "../lib/paths.js";
import { onLines, startJobgateCli } from "../lib/processes.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { distribution, MIB, round } from "../lib/stats.js";

const CHANGES = 3;
const LABELS = ["running 33%", "running 67%", "succeeded 100%"];
const BODIES = [{ status: "running", progress: 0.33 }, { status: "running", progress: 0.67 }, { status: "succeeded" }];
const TICKS_PER_S = 100; // Linux USER_HZ

interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** `${jobId} ${label}` → when the CLI printed it. */
  readonly shown: Map<string, number>;
  /** Latest CPU ticks and peak RSS seen for it. */
  cpuTicks: number;
  peakRss: number;
}

function startWait(ids: string[], apiUrl: string): Proc {
  const child = spawn(process.execPath, [CLI, "jobs", "wait", ...ids], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH, JOBGATE_API_URL: apiUrl, JOBGATE_TOKEN: TOKEN },
  });
  const proc: Proc = { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))), shown: new Map(), cpuTicks: 0, peakRss: 0 };
  onLines(child.stderr, (line, at) => {
    const match = /^jobgate: (job_\w+) (queued 0%|running \d+%|succeeded 100%)/.exec(line);
    if (match === null) return;
    const key = `${match[1]} ${match[2]}`;
    if (!proc.shown.has(key)) proc.shown.set(key, at);
  });
  return proc;
}

function sample(proc: Proc): void {
  const pid = proc.child.pid;
  if (pid === undefined || proc.child.exitCode !== null) return;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    proc.cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (rss !== null) proc.peakRss = Math.max(proc.peakRss, Number(rss[1]) * 1024);
  } catch {
    // exited between the check and the read
  }
}

interface GroupResult {
  readonly lags: ReturnType<typeof distribution>;
  readonly requestsPerJob: number;
  readonly requestsBeforeFirstChange: number;
  readonly cpuS: number;
  readonly rssMiB: number;
  readonly codes: (number | null)[];
}

/** One group on its own fresh jobs: start the waiters, wait until each shows its first state, change every job 3 times over `totalS`. */
async function runGroup(kind: "one" | "many", serverUrl: string, n: number, totalS: number): Promise<GroupResult> {
  const relay = await startCountingRelay(Number(new URL(serverUrl).port));
  const procs: Proc[] = [];
  try {
    const jobs: string[] = [];
    for (let i = 0; i < n; i++) jobs.push(await createJob(serverUrl));
    if (kind === "one") procs.push(startWait(jobs, relay.url));
    else for (const id of jobs) procs.push(startWait([id], relay.url));
    const procOf = (i: number): Proc => procs[kind === "one" ? 0 : i]!;
    const sampler = setInterval(() => procs.forEach(sample), 500);
    const startBy = performance.now() + 120_000;
    while (!jobs.every((id, i) => procOf(i).shown.has(`${id} queued 0%`))) {
      if (performance.now() > startBy) throw new Error(`${kind}: the waiters did not all show their first state within 120 s`);
      await sleep(50);
    }
    const requestsBeforeFirstChange = relay.requests();
    const slotMs = (totalS * 1000) / CHANGES;
    const schedule: { at: number; i: number; k: number }[] = [];
    // Change k of job i in slot k, spread over the slot: about n / slot changes a second.
    for (let k = 0; k < CHANGES; k++) for (let i = 0; i < n; i++) schedule.push({ at: k * slotMs + ((i * 37) % n) * (slotMs / n), i, k });
    schedule.sort((a, b) => a.at - b.at);
    const changedAt = new Map<string, number>();
    const started = performance.now();
    for (const { at, i, k } of schedule) {
      await sleep(Math.max(0, started + at - performance.now()));
      changedAt.set(`${jobs[i]} ${LABELS[k]}`, performance.now());
      await patchJob(serverUrl, jobs[i]!, BODIES[k]!);
    }
    const codes = await Promise.race([Promise.all(procs.map((p) => p.exited)), sleep(60_000).then(() => undefined)]);
    clearInterval(sampler);
    if (codes === undefined) throw new Error(`${kind}: waiters still running 60 s after the last change`);
    const lags = jobs.flatMap((id, i) => LABELS.map((label) => (procOf(i).shown.get(`${id} ${label}`) ?? Number.NaN) - changedAt.get(`${id} ${label}`)!));
    return {
      lags: distribution(lags),
      requestsPerJob: relay.requests() / n,
      requestsBeforeFirstChange,
      cpuS: procs.reduce((sum, p) => sum + p.cpuTicks, 0) / TICKS_PER_S,
      rssMiB: procs.reduce((sum, p) => sum + p.peakRss, 0) / MIB,
      codes,
    };
  } finally {
    for (const proc of procs) proc.child.kill("SIGKILL");
    await relay.close();
  }
}

export async function runManyJobs(ctx: BenchContext): Promise<BenchResult> {
  const n = numberFlag(ctx, "jobs", 100, 20);
  const totalS = numberFlag(ctx, "seconds", 30, 15);
  const server = await startJobgateCli();
  try {
    // One after the other, on the same server: 100 processes load both cores, which would also slow the one.
    const one = await runGroup("one", server.url, n, totalS);
    const many = await runGroup("many", server.url, n, totalS);
    const limit = CHANGES + 2;
    return {
      name: "many-jobs",
      title: `${n} jobs, ${CHANGES} changes each over ${totalS} s: one jobs wait with ${n} ids vs ${n} jobs wait processes (one group after the other)`,
      figures: [
        {
          name: "requests per job",
          unit: "req",
          value: round(one.requestsPerJob),
          baseline: round(many.requestsPerJob),
          baselineName: `${n} processes`,
          ratio: ratioOf(one.requestsPerJob, many.requestsPerJob),
          target: `≤ ${limit}`,
          met: one.requestsPerJob <= limit,
        },
        {
          name: "detection p99",
          unit: "ms",
          value: one.lags.p99,
          baseline: many.lags.p99,
          baselineName: `${n} processes`,
          ratio: ratioOf(one.lags.p99, many.lags.p99),
          target: "< 100 ms",
          met: one.lags.p99 < 100,
        },
        {
          name: "detection p50",
          unit: "ms",
          value: one.lags.p50,
          baseline: many.lags.p50,
          baselineName: `${n} processes`,
          ratio: ratioOf(one.lags.p50, many.lags.p50),
        },
        {
          name: "CPU time of the waiters",
          unit: "s",
          value: one.cpuS,
          baseline: many.cpuS,
          baselineName: `${n} processes`,
          ratio: ratioOf(one.cpuS, many.cpuS),
          target: "far below",
          met: one.cpuS < many.cpuS / 10,
        },
        {
          name: "peak RSS of the waiters",
          unit: "MiB",
          value: one.rssMiB,
          baseline: many.rssMiB,
          baselineName: `${n} processes (sum)`,
          ratio: ratioOf(one.rssMiB, many.rssMiB),
          target: "far below",
          met: one.rssMiB < many.rssMiB / 10,
        },
      ],
      notes: [
        `exit codes: one ${String(one.codes[0])}; ${n} processes: ${[...new Set(many.codes)].join(", ")}`,
        `requests before the first change (first GETs and holds, re-held while the processes start): one ${one.requestsBeforeFirstChange}, ${n} processes ${many.requestsBeforeFirstChange}`,
        `detection max: one ${round(one.lags.max)} ms, ${n} processes ${round(many.lags.max)} ms (${one.lags.n} changes each)`,
        "CPU and RSS sampled from /proc every 500 ms (the last sample before each exit)",
      ],
      raw: { n, totalS, one, many },
    };
  } finally {
    await server.stop();
  }
}
