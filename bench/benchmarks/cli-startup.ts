/**
 * CLI start-up: how long `jobgate --help` takes to exit and `jobgate jobs wait` takes to
 * send its first request, against `node -e ''` (Node's own start-up), spawned the same
 * way in the same run, alternating. `--cli=PATH` measures another build's
 * `provider-shim/cli/main.js` (e.g. one checked out from before a change).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { CLI } from "../lib/paths.js";
import { ratioOf, type BenchResult } from "../lib/report.js";
import { median } from "../lib/stats.js";

const SUCCEEDED = {
  id: "job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK",
  type: "deployment.deploy",
  status: "succeeded",
  progress: 1,
  created_at: "2026-06-24T01:02:00.110Z",
  resource: { type: "deployment", id: "site_1", site_id: "site_1" },
  result: { release_id: "rel_1" },
  error: null,
  links: { self: "/v1/jobs/job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK", stream: "/v1/jobs/job_01J9SCQ8Y1T3N6V0M4ZB2D5XWK/stream" },
};

/** Spawns `args` and resolves with the ms until `done` resolves (exit, or a first request). */
function timeSpawn(args: string[], env: NodeJS.ProcessEnv, done: (exited: Promise<number | null>) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: "ignore", env });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return done(exited).then(async () => {
    const ms = performance.now() - started;
    await exited;
    return ms;
  });
}

export async function runCliStartup(ctx: BenchContext): Promise<BenchResult> {
  const runs = numberFlag(ctx, "runs", 15, 5);
  const cli = ctx.flags.cli ?? CLI;
  let firstRequest: (() => void) | undefined;
  const api = createServer((req, res) => {
    firstRequest?.();
    firstRequest = undefined;
    const body = JSON.stringify({ data: SUCCEEDED, request_id: "req_1" });
    res.writeHead(200, { "Content-Type": "application/json", ETag: '"w/job-3"', "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const env = { ...process.env, JOBGATE_API_URL: `http://127.0.0.1:${(api.address() as AddressInfo).port}`, JOBGATE_TOKEN: "mfk_bench_token" };
  const samples = { node: [] as number[], help: [] as number[], wait: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      samples.node.push(await timeSpawn(["-e", ""], env, (exited) => exited));
      samples.help.push(await timeSpawn([cli, "--help"], env, (exited) => exited));
      samples.wait.push(
        await timeSpawn([cli, "jobs", "wait", SUCCEEDED.id, "--quiet"], env, (exited) =>
          Promise.race([
            new Promise<void>((resolve) => (firstRequest = resolve)),
            exited.then(() => Promise.reject(new Error("jobs wait exited before its first request"))),
          ]),
        ),
      );
    }
  } finally {
    api.close();
  }
  const node = median(samples.node);
  const help = median(samples.help);
  const wait = median(samples.wait);
  return {
    name: "startup",
    title: `CLI start-up, median of ${runs} spawns each, alternating (${cli === CLI ? "this build" : cli})`,
    figures: [
      { name: "jobgate --help, spawn to exit", unit: "ms", value: help, baseline: node, baselineName: "node -e ''", ratio: ratioOf(help, node) },
      { name: "jobgate jobs wait, spawn to first request", unit: "ms", value: wait, baseline: node, baselineName: "node -e ''", ratio: ratioOf(wait, node) },
    ],
    notes: [],
    raw: samples,
  };
}
