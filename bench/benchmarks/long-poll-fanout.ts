/**
 * 2. Long-poll fan-out: N held long-polls on one job, one PATCH. Time from the PATCH
 * until each waiter has its 200 (p50/p99/max), all answered, and the server's RSS per
 * held poll ((RSS with N held − RSS idle) / N) — jobgate (`jobgate serve`) against the
 * bare node:http holder, each on a fresh server process and a fresh generator process.
 */
import { numberFlag, type BenchContext } from "../lib/context.js";
import { createJob } from "../lib/http.js";
import { forkWorker, settledRss, startBareServer, startJobgateCli, type ServerProcess } from "../lib/processes.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { distribution, KIB, median, type Distribution } from "../lib/stats.js";

interface Round {
  server: string;
  answered: number;
  ok: number;
  statuses: Record<string, number>;
  latency: Distribution;
  rssIdle: number;
  rssHeld: number;
  rssPerHeld: number;
  settleMs: number;
  patchMs: number;
}

/** Runs the fan-out generator against one fresh server; shared with the SSE benchmark. */
export async function fanoutRound(kind: "jobgate" | "bare", mode: "long-poll" | "sse", n: number, start?: () => Promise<ServerProcess>): Promise<Round> {
  // One token holds all n: lift the per-key hold limit (spec §2, --max-holds-per-key) above n.
  const server = await (start ?? (kind === "bare" ? () => startBareServer() : () => startJobgateCli(["--max-holds-per-key", String(n + 100)])))();
  try {
    const jobId = await createJob(server.url);
    const rssIdle = await settledRss(server.pid);
    const worker = forkWorker("clients/fanout-client", [JSON.stringify({ port: server.port, jobId, n, mode, probe: kind === "bare" ? "stats" : "metrics" })]);
    try {
      const ready = await worker.next<{ type: string; message?: string; settleMs: number }>(240_000);
      if (ready.type !== "ready") throw new Error(`${kind} ${mode} generator: ${ready.message}`);
      const rssHeld = await settledRss(server.pid);
      worker.send({ type: "go" });
      const result = await worker.next<{
        type: string;
        message?: string;
        latencies: number[];
        answered: number;
        ok: number;
        statuses: Record<string, number>;
        patchMs: number;
      }>(120_000);
      if (result.type !== "result") throw new Error(`${kind} ${mode} generator: ${result.message}`);
      return {
        server: kind,
        answered: result.answered,
        ok: result.ok,
        statuses: result.statuses,
        latency: distribution(result.latencies),
        rssIdle,
        rssHeld,
        rssPerHeld: (rssHeld - rssIdle) / n,
        settleMs: ready.settleMs,
        patchMs: result.patchMs,
      };
    } finally {
      await worker.stop();
    }
  } finally {
    await server.stop();
  }
}

export async function runLongPollFanout(ctx: BenchContext): Promise<BenchResult> {
  const n = numberFlag(ctx, "n", 10_000, 1_000);
  const rounds = numberFlag(ctx, "rounds", 3, 1);
  const raw: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate who goes first so drift on a shared machine does not favour one side.
    const order: Array<"jobgate" | "bare"> = r % 2 === 0 ? ["bare", "jobgate"] : ["jobgate", "bare"];
    for (const kind of order) {
      const round = await fanoutRound(kind, "long-poll", n);
      raw.push(round);
      console.log(
        `  [fanout] round ${r + 1} ${kind}: answered ${round.ok}/${n} (200s), min ${round.latency.min.toFixed(1)} ms, p50 ${round.latency.p50.toFixed(1)} ms, p99 ${round.latency.p99.toFixed(1)} ms, ` +
          `max ${round.latency.max.toFixed(1)} ms, RSS/held ${(round.rssPerHeld / KIB).toFixed(2)} KiB`,
      );
    }
  }
  const of = (kind: string, pick: (r: Round) => number): number => median(raw.filter((r) => r.server === kind).map(pick));
  const answered = Math.min(...raw.filter((r) => r.server === "jobgate").map((r) => r.ok));
  const bareAnswered = Math.min(...raw.filter((r) => r.server === "bare").map((r) => r.ok));
  const p = (name: "p50" | "p99" | "max"): [number, number] => [of("jobgate", (r) => r.latency[name]), of("bare", (r) => r.latency[name])];
  const [p50, bareP50] = p("p50");
  const [p99, bareP99] = p("p99");
  const [max, bareMax] = p("max");
  const rss = of("jobgate", (r) => r.rssPerHeld) / KIB;
  const bareRss = of("bare", (r) => r.rssPerHeld) / KIB;
  return {
    name: "fanout",
    title: `long-poll fan-out: ${n} held long-polls on one job, one PATCH (median of ${rounds} round(s), fresh processes)`,
    figures: [
      {
        name: "200s received",
        unit: "",
        value: answered,
        baseline: bareAnswered,
        baselineName: "bare",
        ratio: ratioOf(answered, bareAnswered),
        target: `= ${n}`,
        met: answered === n,
      },
      { name: "PATCH→200 p50", unit: "ms", value: p50, baseline: bareP50, baselineName: "bare", ratio: ratioOf(p50, bareP50) },
      {
        name: "PATCH→200 p99",
        unit: "ms",
        value: p99,
        baseline: bareP99,
        baselineName: "bare",
        ratio: ratioOf(p99, bareP99),
        target: "≤ 1.5× bare",
        met: p99 <= 1.5 * bareP99,
      },
      { name: "PATCH→200 max", unit: "ms", value: max, baseline: bareMax, baselineName: "bare", ratio: ratioOf(max, bareMax) },
      {
        name: "RSS per held poll",
        unit: "KiB",
        value: rss,
        baseline: bareRss,
        baselineName: "bare",
        ratio: ratioOf(rss, bareRss),
        target: "≤ bare + 4 KiB",
        met: rss <= bareRss + 4,
      },
    ],
    notes: [`RSS per held poll above the bare server's: ${(rss - bareRss).toFixed(2)} KiB`],
    raw,
  };
}
