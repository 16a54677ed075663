/**
 * `npm run bench [-- NAME… ] [--quick] [--key=value…]` — the benchmarks of issue 6, each
 * printing its figures beside a baseline measured in the same run and their ratio, then
 * one summary table; results go to bench/results/<timestamp>.json (git-ignored).
 *
 * Names: 304, fanout, sse, waiter, store, proxy, startup, provider, tenancy, networks, many-jobs,
 * postgres (default: all, in that order; postgres needs PostgreSQL >= 15 installed: it starts a
 * throwaway cluster of its own).
 * --quick: small sizes and short durations (for shared machines and development).
 * Overrides: --n=, --rounds=, --duration=, --connections=, --seconds=, --waiter=loop, …
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { BenchContext } from "./lib/context.js";
import { RESULTS_DIR } from "./lib/paths.js";
import { printFigures, printSummary, type BenchResult } from "./lib/report.js";
import { runLongPollFanout } from "./benchmarks/long-poll-fanout.js";
import { runSseFanout } from "./benchmarks/sse-fanout.js";
import { runStoreScale } from "./benchmarks/store-scale.js";
import { runThroughput304 } from "./benchmarks/throughput-304.js";
import { runWaiterCost } from "./benchmarks/waiter-cost.js";
import { runProxyUpstream } from "./benchmarks/proxy-upstream.js";
import { runCliStartup } from "./benchmarks/cli-startup.js";
import { runTenancy } from "./benchmarks/tenancy.js";
import { runProviderBench } from "./benchmarks/provider.js";
import { runNetworks } from "./benchmarks/networks.js";
import { runManyJobs } from "./benchmarks/many-jobs.js";
import { runPostgres } from "./benchmarks/postgres.js";

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  "304": runThroughput304,
  fanout: runLongPollFanout,
  sse: runSseFanout,
  waiter: runWaiterCost,
  store: runStoreScale,
  proxy: runProxyUpstream,
  startup: runCliStartup,
  tenancy: runTenancy,
  provider: runProviderBench,
  networks: runNetworks,
  "many-jobs": runManyJobs,
  postgres: runPostgres,
};

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith("--"));
const flags: Record<string, string> = {};
for (const arg of args.filter((a) => a.startsWith("--") && a !== "--quick")) {
  const [key, value] = arg.slice(2).split("=", 2) as [string, string | undefined];
  flags[key] = value ?? "true";
}
const unknown = names.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(", ")}; expected some of: ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
const ctx: BenchContext = { quick: args.includes("--quick"), flags };
const selected = names.length > 0 ? names : Object.keys(BENCHMARKS);

console.log(
  `jobgate bench: ${selected.join(", ")}${ctx.quick ? " (quick)" : ""} — node ${process.version}, ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB`,
);
const results: BenchResult[] = [];
const failures: string[] = [];
for (const name of selected) {
  const started = Date.now();
  try {
    const result = await BENCHMARKS[name]!(ctx);
    results.push(result);
    printFigures(result);
  } catch (error) {
    failures.push(`${name}: ${(error as Error).message}`);
    console.error(`== ${name}: FAILED — ${(error as Error).stack ?? String(error)}`);
  }
  console.log(`  (${name} took ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
printSummary(results);
mkdirSync(RESULTS_DIR, { recursive: true });
const file = `${RESULTS_DIR}/${new Date().toISOString().replace(/[:.]/g, "-")}${ctx.quick ? "-quick" : ""}.json`;
writeFileSync(
  file,
  JSON.stringify({ when: new Date().toISOString(), node: process.version, cpus: cpus().length, quick: ctx.quick, flags, results, failures }, null, 2),
);
console.log(`\nresults: ${file}`);
process.exit(failures.length > 0 ? 1 : 0);
