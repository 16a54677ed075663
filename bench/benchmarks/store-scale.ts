/**
 * 5. Store scale, on MemoryJobStore directly (no HTTP): heap per stored job against the
 * bare job objects in a Map; publish/patch throughput in a store holding 100 000 jobs
 * against one holding 1 000 (both at their bound, so every publish evicts); and heap
 * staying flat while 1 000 000 jobs are published and finished with the default
 * --max-jobs. Runs in a fresh process with --expose-gc.
 */
import { numberFlag, type BenchContext } from "../lib/context.js";
import { forkWorker } from "../lib/processes.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { MIB } from "../lib/stats.js";

interface StoreResult {
  type: string;
  message?: string;
  defaultMaxJobs: number;
  memory: { mapQueued: number; mapFinished: number; storeInFlight: number; storeFinished: number };
  atScale: { publishPerS: number; patchPerS: number; publishes: number; patches: number };
  atSmall: { publishPerS: number; patchPerS: number };
  million: { checkpoints: Array<{ jobs: number; stored: number; heapDelta: number; rss: number; perS: number }>; reached: number };
}

export async function runStoreScale(ctx: BenchContext): Promise<BenchResult> {
  const config = {
    n: numberFlag(ctx, "n", 100_000, 100_000),
    small: 1_000,
    opsTimeMs: numberFlag(ctx, "ops-ms", 3_000, 1_000),
    million: numberFlag(ctx, "million", 1_000_000, 300_000),
    millionTimeMs: numberFlag(ctx, "million-ms", 720_000, 60_000),
    checkpoint: 100_000,
  };
  const worker = forkWorker("workers/store-scale", [JSON.stringify(config)], ["--expose-gc", "--max-old-space-size=4096"]);
  let r: StoreResult;
  try {
    r = await worker.next<StoreResult>(config.millionTimeMs + 300_000);
  } finally {
    await worker.stop();
  }
  const { memory, atScale, atSmall, million } = r;
  const cps = million.checkpoints;
  // Bounded means a plateau: the heap at the end is no larger than half-way through (the
  // list index keeps up to as many dead positions as live ones, so it settles above "just full").
  const midway = cps.find((c) => c.jobs >= cps[cps.length - 1]!.jobs / 2) ?? cps[0]!;
  const last = cps[cps.length - 1]!;
  const bounded = last.stored <= r.defaultMaxJobs && last.heapDelta <= midway.heapDelta * 1.1;
  const notes = [
    `store: MemoryJobStore used directly (no HTTP); ${config.n} jobs, account acct_dev, 100 sites, 1 000 envs`,
    `1M run checkpoints (jobs → stored, heap Δ MiB, jobs/s): ${cps.map((c) => `${c.jobs / 1000}k→${c.stored / 1000}k ${(c.heapDelta / MIB).toFixed(0)} ${Math.round(c.perS)}/s`).join("; ")}`,
  ];
  if (last.jobs < config.million) notes.push(`the 1M run stopped at ${last.jobs} jobs (time bound ${config.millionTimeMs / 1000} s)`);
  return {
    name: "store",
    title: `store scale (MemoryJobStore directly): memory per job, throughput at ${config.n} stored, ${config.million} jobs through the default --max-jobs`,
    figures: [
      {
        name: "heap per job in flight",
        unit: "B",
        value: memory.storeInFlight,
        baseline: memory.mapQueued,
        baselineName: "Map of jobs",
        ratio: ratioOf(memory.storeInFlight, memory.mapQueued),
      },
      {
        name: "heap per finished job",
        unit: "B",
        value: memory.storeFinished,
        baseline: memory.mapFinished,
        baselineName: "Map of jobs",
        ratio: ratioOf(memory.storeFinished, memory.mapFinished),
      },
      {
        name: `publish at ${config.n / 1000}k stored`,
        unit: "ops/s",
        value: atScale.publishPerS,
        baseline: atSmall.publishPerS,
        baselineName: "1k stored",
        ratio: ratioOf(atScale.publishPerS, atSmall.publishPerS),
      },
      {
        name: `patch at ${config.n / 1000}k stored`,
        unit: "ops/s",
        value: atScale.patchPerS,
        baseline: atSmall.patchPerS,
        baselineName: "1k stored",
        ratio: ratioOf(atScale.patchPerS, atSmall.patchPerS),
      },
      {
        name: `heap Δ after ${last.jobs / 1000}k published+finished`,
        unit: "MiB",
        value: last.heapDelta / MIB,
        baseline: midway.heapDelta / MIB,
        baselineName: `at ${midway.jobs / 1000}k`,
        ratio: ratioOf(last.heapDelta, midway.heapDelta),
        target: `bounded (stored ≤ ${r.defaultMaxJobs}, heap ≤ 1.1× half-way)`,
        met: bounded && last.jobs >= config.million,
      },
      {
        name: "publish+finish rate at the end (store full, evicting)",
        unit: "jobs/s",
        value: last.perS,
        baseline: cps[0]?.perS ?? Number.NaN,
        baselineName: "first checkpoint (below the bound)",
        ratio: ratioOf(last.perS, cps[0]?.perS ?? Number.NaN),
      },
    ],
    notes,
    raw: { config, ...r },
  };
}
