/**
 * Issue 10: `jobgate jobs wait` behind real proxies (nginx and squid, Debian's, started
 * here in temp dirs on 127.0.0.1). One job per path, all changed at the same moments
 * after quiet stretches of 25–60 s (--quick: 25 and 30 s):
 *
 *   direct      the CLI straight to `jobgate serve` (the baseline)
 *   nginx-10s   through nginx with `proxy_read_timeout 10s` (every 25 s hold is cut)
 *   squid       through squid as HTTP_PROXY (a forward proxy, CONNECT tunnels)
 *   watch-gzip  `jobs watch` through nginx gzipping the stream in 1 KiB batches
 *
 * Detection latency is measured end to end: from sending the PATCH until the CLI prints
 * the change on stderr (same clock, same process). Requests per quiet minute are counted
 * by a counting relay between each proxy and the server, less the answers that carried
 * a change. Targets (issue 10): nginx-10s p99 ≤ direct p99 + 100 ms; ≤ 7 requests per
 * quiet minute.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchContext } from "../lib/context.js";
import { startCountingRelay, type CountingRelay } from "../lib/counting-relay.js";
import { createJob, patchJob } from "../lib/http.js";
import { CLI, TOKEN } from "../lib/paths.js";
import { onLines, startJobgateCli } from "../lib/processes.js";
import { type BenchResult } from "../lib/report.js";
import { distribution, round } from "../lib/stats.js";

const HOST = "api.jobgate.test";
const FULL_QUIET_S = [25, 60, 35, 45, 30];
const QUICK_QUIET_S = [25, 30];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const started = performance.now();
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (performance.now() - started > timeoutMs) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => (clearTimeout(timer), resolve()));
    child.kill("SIGTERM");
  });
}

async function startNginx(dir: string, sites: { port: number; upstream: number; extra: string[] }[]): Promise<ChildProcess> {
  const servers = sites
    .map(
      (s) =>
        `  server {\n    listen 127.0.0.1:${s.port};\n    location / {\n      proxy_pass http://127.0.0.1:${s.upstream};\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n${s.extra.map((l) => `      ${l}\n`).join("")}    }\n  }`,
    )
    .join("\n");
  writeFileSync(
    join(dir, "nginx.conf"),
    `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 512; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n${servers}\n}\n`,
  );
  const child = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: "ignore" });
  for (const site of sites) await waitForPort(site.port);
  return child;
}

async function startSquid(dir: string, port: number, target: number): Promise<ChildProcess> {
  writeFileSync(join(dir, "hosts"), `127.0.0.1 ${HOST}\n`);
  writeFileSync(
    join(dir, "squid.conf"),
    [
      `http_port 127.0.0.1:${port}`,
      `pid_filename ${dir}/squid.pid`,
      `cache_log ${dir}/cache.log`,
      "access_log none",
      `coredump_dir ${dir}`,
      `hosts_file ${dir}/hosts`,
      "cache deny all",
      "cache_mem 8 MB",
      "cache_effective_user proxy",
      "pinger_enable off",
      "shutdown_lifetime 0 seconds",
      "http_access allow localhost",
      "http_access deny all",
      "",
    ].join("\n"),
  );
  void target;
  const child = spawn("squid", ["-N", "-f", join(dir, "squid.conf")], { stdio: "ignore" });
  await waitForPort(port);
  return child;
}

interface Waiter {
  readonly name: string;
  readonly jobId: string;
  readonly relay: CountingRelay;
  /** performance.now() of each stderr line naming `running N%` / `succeeded`, by percent. */
  readonly shown: Map<string, number>;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

function startWaiter(name: string, args: string[], env: Record<string, string>, jobId: string, relay: CountingRelay): Waiter {
  const child = spawn(process.execPath, [CLI, ...args, jobId], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { PATH: process.env.PATH, JOBGATE_TOKEN: TOKEN, ...env },
  });
  const shown = new Map<string, number>();
  onLines(child.stderr, (line, at) => {
    const match = / (running \d+%|succeeded 100%)/.exec(line);
    if (match !== null && !shown.has(match[1]!)) shown.set(match[1]!, at);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, jobId, relay, shown, child, exited };
}

export async function runNetworks(ctx: BenchContext): Promise<BenchResult> {
  for (const binary of ["nginx", "squid"]) {
    if (spawnSync(binary, ["-v"], { stdio: "ignore" }).error !== undefined) throw new Error(`${binary} is not installed (apt-get install -y nginx squid)`);
  }
  const quiet = ctx.quick ? QUICK_QUIET_S : FULL_QUIET_S;
  const dir = mkdtempSync(join(tmpdir(), "jobgate-bench-net-"));
  chmodSync(dir, 0o777);
  const server = await startJobgateCli();
  const serverPort = Number(new URL(server.url).port);
  const relays: CountingRelay[] = [];
  const children: ChildProcess[] = [];
  const waiters: Waiter[] = [];
  try {
    for (let i = 0; i < 4; i++) relays.push(await startCountingRelay(serverPort));
    const [directCountingRelay, nginxCountingRelay, squidCountingRelay, watchCountingRelay] = relays as [
      CountingRelay,
      CountingRelay,
      CountingRelay,
      CountingRelay,
    ];
    const nginxPort = await freePort();
    const gzipPort = await freePort();
    const squidPort = await freePort();
    children.push(
      await startNginx(dir, [
        { port: nginxPort, upstream: nginxCountingRelay.port, extra: ["proxy_read_timeout 10s;"] },
        {
          port: gzipPort,
          upstream: watchCountingRelay.port,
          extra: [
            "proxy_buffering on;",
            "proxy_ignore_headers X-Accel-Buffering;",
            "proxy_buffer_size 1k;",
            "proxy_buffers 4 1k;",
            "proxy_busy_buffers_size 1k;",
            "gzip on;",
            "gzip_types text/event-stream application/json;",
            "gzip_min_length 0;",
            "gzip_buffers 4 1k;",
            "gzip_comp_level 1;",
            "gzip_window 512;",
            "gzip_hash 512;",
          ],
        },
      ]),
      await startSquid(dir, squidPort, squidCountingRelay.port),
    );
    const jobs = await Promise.all(relays.map(() => createJob(server.url)));
    waiters.push(
      startWaiter("direct", ["jobs", "wait"], { JOBGATE_API_URL: `http://127.0.0.1:${directCountingRelay.port}` }, jobs[0]!, directCountingRelay),
      startWaiter("nginx-10s", ["jobs", "wait"], { JOBGATE_API_URL: `http://127.0.0.1:${nginxPort}` }, jobs[1]!, nginxCountingRelay),
      startWaiter(
        "squid",
        ["jobs", "wait"],
        { JOBGATE_API_URL: `http://${HOST}:${squidCountingRelay.port}`, HTTP_PROXY: `http://127.0.0.1:${squidPort}` },
        jobs[2]!,
        squidCountingRelay,
      ),
      startWaiter("watch-gzip", ["jobs", "watch"], { JOBGATE_API_URL: `http://127.0.0.1:${gzipPort}` }, jobs[3]!, watchCountingRelay),
    );
    const changedAt: number[] = [];
    const labels: string[] = [];
    let quietMs = 0;
    for (const [k, seconds] of quiet.entries()) {
      await sleep(seconds * 1000);
      quietMs += seconds * 1000;
      const last = k === quiet.length - 1;
      const percent = Math.round(((k + 1) / (quiet.length + 1)) * 100);
      const change = last ? { status: "succeeded" } : { status: "running", progress: percent / 100 };
      labels.push(last ? "succeeded 100%" : `running ${percent}%`);
      const at = performance.now();
      await Promise.all(jobs.map((id) => patchJob(server.url, id, change)));
      changedAt.push(at);
    }
    const codes = await Promise.race([Promise.all(waiters.map((w) => w.exited)), sleep(60_000).then(() => undefined)]);
    if (codes === undefined) throw new Error("a waiter did not exit within 60 s of the last change");

    const stats = waiters.map((waiter) => {
      const lags = labels.map((label, i) => (waiter.shown.get(label) ?? Number.NaN) - changedAt[i]!);
      // Answers that carried a change are not quiet-time polls; nor are stream openings.
      const polls = waiter.relay.seen.length - labels.length;
      return { name: waiter.name, lags: distribution(lags), requests: waiter.relay.seen.length, perQuietMinute: polls / (quietMs / 60_000) };
    });
    const byName = Object.fromEntries(stats.map((s) => [s.name, s])) as Record<string, (typeof stats)[number]>;
    const direct = byName.direct!;
    const nginx10 = byName["nginx-10s"]!;
    const squid = byName.squid!;
    const watch = byName["watch-gzip"]!;
    return {
      name: "networks",
      title: `jobs wait behind real proxies: ${quiet.length} changes after quiet stretches of ${quiet.join(", ")} s; detection = PATCH → the CLI's line`,
      figures: [
        {
          name: "nginx 10 s read timeout: detection p99",
          unit: "ms",
          value: nginx10.lags.p99,
          baseline: direct.lags.p99,
          baselineName: "direct",
          ratio: nginx10.lags.p99 - direct.lags.p99,
          target: "≤ direct + 100 ms",
          met: nginx10.lags.p99 <= direct.lags.p99 + 100,
        },
        { name: "nginx 10 s read timeout: detection mean", unit: "ms", value: nginx10.lags.mean, baseline: direct.lags.mean, baselineName: "direct" },
        {
          name: "nginx 10 s read timeout: requests per quiet minute",
          unit: "req",
          value: nginx10.perQuietMinute,
          baseline: direct.perQuietMinute,
          baselineName: "direct",
          target: "≤ 7",
          met: nginx10.perQuietMinute <= 7,
        },
        {
          name: "squid forward proxy: detection p99",
          unit: "ms",
          value: squid.lags.p99,
          baseline: direct.lags.p99,
          baselineName: "direct",
          ratio: squid.lags.p99 - direct.lags.p99,
        },
        {
          name: "squid forward proxy: requests per quiet minute",
          unit: "req",
          value: squid.perQuietMinute,
          baseline: direct.perQuietMinute,
          baselineName: "direct",
        },
        {
          name: "watch, nginx gzipping the stream in batches: detection p99",
          unit: "ms",
          value: watch.lags.p99,
          baseline: direct.lags.p99,
          baselineName: "wait direct",
          target: "< 2000 ms",
          met: watch.lags.p99 < 2000,
        },
      ],
      notes: [
        `exit codes: ${waiters.map((w, i) => `${w.name} ${String(codes[i])}`).join(", ")}`,
        ...stats.map(
          (s) =>
            `${s.name}: detection ${s.lags.n} changes, min ${round(s.lags.min)} / mean ${round(s.lags.mean)} / max ${round(s.lags.max)} ms; ${s.requests} answers relayed`,
        ),
        "ratio column for the detection p99 rows: the difference in ms (proxy − direct)",
      ],
      raw: { quiet, changedAt, stats },
    };
  } finally {
    for (const waiter of waiters) waiter.child.kill("SIGKILL");
    await Promise.all(children.map(stopChild));
    await Promise.all(relays.map((r) => r.close()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
