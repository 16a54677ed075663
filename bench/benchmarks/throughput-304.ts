/**
 * 1. 304 throughput: conditional GET /v1/jobs/{id} answered 304 through the full
 * `jobgate serve` at its default log level, against the bare node:http server doing only
 * what a 304 requires (SHA-256 of the token + Map lookup, a fresh req_<ULID>, the same
 * headers). autocannon runs in its own process; the two servers take turns A B A B … so
 * drift on a shared machine hits both alike.
 *
 * Beside requests per second (which a noisy neighbour moves), the server's own CPU time
 * per 304 — user + system from /proc/<pid>/stat over each round, divided by the 304s it
 * answered — is the figure a busy machine moves least.
 */
import { spawn } from "node:child_process";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { call, createJob } from "../lib/http.js";
import { AUTOCANNON, FORGE_VERSION, TOKEN } from "../lib/paths.js";
import { cpuSecondsOf, startBareServer, startJobgateCli, type ServerProcess } from "../lib/processes.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { median } from "../lib/stats.js";

interface CannonRun {
  server: string;
  round: number;
  rps: number;
  total: number;
  status3xx: number;
  errors: number;
  latencyP99: number;
  /** Server CPU (user + system) per 304 answered, in µs. */
  cpuPer304Us: number;
}

export function autocannon(
  url: string,
  connections: number,
  seconds: number,
): Promise<{ requests: { average: number; total: number }; "3xx": number; errors: number; timeouts: number; non2xx: number; latency: { p99: number } }> {
  return new Promise((resolve, reject) => {
    const args = [
      AUTOCANNON,
      "-c",
      String(connections),
      "-p",
      "1",
      "-d",
      String(seconds),
      "-j",
      "-H",
      `Authorization=Bearer ${TOKEN}`,
      "-H",
      `Forge-Version=${FORGE_VERSION}`,
      "-H",
      `If-None-Match="w/job-1"`,
      url,
    ];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err = (err + chunk.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), (seconds + 30) * 1000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!));
      } catch {
        reject(new Error(`autocannon exited ${code}: ${err}`));
      }
    });
  });
}

export async function runThroughput304(ctx: BenchContext): Promise<BenchResult> {
  const rounds = numberFlag(ctx, "rounds", 4, 2);
  const seconds = numberFlag(ctx, "duration", 5, 2);
  const connections = numberFlag(ctx, "connections", 50, 50);
  const servers: ServerProcess[] = [];
  const raw: CannonRun[] = [];
  try {
    // The default log level, as users run it (the CLI helper passes --log-level warn; the last flag wins).
    servers.push(await startJobgateCli(["--log-level", "info"]), await startBareServer());
    const targets: Array<{ server: ServerProcess; url: string }> = [];
    for (const server of servers) {
      const jobId = await createJob(server.url);
      const url = `${server.url}/v1/jobs/${jobId}`;
      const probe = await call(url, "GET", undefined, { "If-None-Match": '"w/job-1"' });
      if (probe.status !== 304) throw new Error(`${server.name}: expected 304, got ${probe.status}`);
      targets.push({ server, url });
    }
    for (const { url } of targets) await autocannon(url, connections, Math.min(2, seconds)); // warm-up (JIT), not recorded
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const { server, url } of order) {
        const cpuBefore = cpuSecondsOf(server.pid);
        const out = await autocannon(url, connections, seconds);
        const cpuPer304Us = ((cpuSecondsOf(server.pid) - cpuBefore) / Math.max(1, out["3xx"])) * 1e6;
        const run: CannonRun = {
          server: server.name,
          round,
          rps: out.requests.average,
          total: out.requests.total,
          status3xx: out["3xx"],
          errors: out.errors + out.timeouts,
          latencyP99: out.latency.p99,
          cpuPer304Us,
        };
        raw.push(run);
        console.log(
          `  [304] round ${round} ${run.server}: ${Math.round(run.rps)} req/s (${run.status3xx}/${run.total} 304s, ${run.errors} errors, p99 ${run.latencyP99} ms, ${cpuPer304Us.toFixed(1)} µs CPU per 304)`,
        );
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  const of = (name: string): CannonRun[] => raw.filter((r) => r.server === name);
  const mean = (runs: CannonRun[]): number => runs.reduce((s, r) => s + r.rps, 0) / runs.length;
  const jobgate = mean(of("jobgate"));
  const bare = mean(of("bare"));
  const pairRatios = of("jobgate").map((j) => j.rps / of("bare").find((b) => b.round === j.round)!.rps);
  const all304 = of("jobgate").every((r) => r.status3xx === r.total && r.errors === 0);
  // Summed over the rounds: total CPU over total 304s.
  const cpuPer304 = (runs: CannonRun[]): number => runs.reduce((s, r) => s + r.cpuPer304Us * r.status3xx, 0) / runs.reduce((s, r) => s + r.status3xx, 0);
  const jobgateCpu = cpuPer304(of("jobgate"));
  const bareCpu = cpuPer304(of("bare"));
  return {
    name: "304",
    title: `304 throughput: conditional GET, ${connections} connections, pipelining 1, ${rounds} × ${seconds} s alternating`,
    figures: [
      {
        name: "304 throughput",
        unit: "req/s",
        value: jobgate,
        baseline: bare,
        baselineName: "bare",
        ratio: ratioOf(jobgate, bare),
        target: "≥ 0.8× bare",
        met: jobgate >= 0.8 * bare,
      },
      { name: "median per-round ratio", unit: "×", value: median(pairRatios) },
      {
        name: "server CPU per 304",
        unit: "µs",
        value: jobgateCpu,
        baseline: bareCpu,
        baselineName: "bare",
        ratio: ratioOf(jobgateCpu, bareCpu),
        target: "≤ 1.25× bare",
        met: jobgateCpu <= 1.25 * bareCpu,
      },
      {
        name: "p99 latency",
        unit: "ms",
        value: median(of("jobgate").map((r) => r.latencyP99)),
        baseline: median(of("bare").map((r) => r.latencyP99)),
        baselineName: "bare",
        ratio: ratioOf(median(of("jobgate").map((r) => r.latencyP99)), median(of("bare").map((r) => r.latencyP99))),
      },
    ],
    notes: [all304 ? "every jobgate answer was a 304, no errors" : "WARNING: some jobgate answers were not 304 or errored"],
    raw,
  };
}
