/**
 * Proxy mode's reason to exist (issue 5): N pollers on one job across a few changes,
 * counting what reaches the upstream. Baseline: every poller runs the seed's loop
 * against the upstream directly (conditional GET, 2 s sleep after a 304). jobgate: the
 * same pollers long-poll a `jobgate serve --upstream` proxy instead. The upstream is a
 * standalone `jobgate serve`; its own `jobgate_http_requests_total` counts what it saw.
 */
import { Agent, request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { numberFlag, type BenchContext } from "../lib/context.js";
import { createJob, metricValue, patchJob } from "../lib/http.js";
import { FORGE_VERSION, TOKEN } from "../lib/paths.js";
import { startJobgateCli, startJobgateProxy, type ServerProcess } from "../lib/processes.js";
import { ratioOf, type BenchResult, type Figure } from "../lib/report.js";

const SEED_SLEEP_MS = 2_000;
const LONG_POLL_S = 30;
const CHANGE_GAP_MS = 2_500;

interface Poller {
  requests: number;
  done: Promise<void>;
}

/** One poller: conditional GETs until the job is terminal; `waitS` > 0 long-polls, else the seed's sleep. */
function poll(baseUrl: string, jobId: string, waitS: number, agent: Agent, deadline: number): Poller {
  const poller: Poller = { requests: 0, done: Promise.resolve() };
  poller.done = (async () => {
    let etag: string | undefined;
    while (Date.now() < deadline) {
      poller.requests++;
      const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, "Forge-Version": FORGE_VERSION };
      if (etag !== undefined) headers["If-None-Match"] = etag;
      if (etag !== undefined && waitS > 0) headers.Prefer = `wait=${waitS}`;
      const reply = await new Promise<{ status: number; etag: string | undefined; body: string }>((resolve, reject) => {
        const req = request(`${baseUrl}/v1/jobs/${jobId}`, { agent, headers }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode!, etag: res.headers.etag, body }));
        });
        req.on("error", reject);
        req.end();
      });
      if (reply.status === 200) {
        etag = reply.etag;
        const status = (JSON.parse(reply.body) as { data: { status: string } }).data.status;
        if (status === "succeeded" || status === "failed") return;
      } else if (reply.status === 304) {
        if (waitS === 0) await sleep(SEED_SLEEP_MS);
      } else {
        throw new Error(`poller: unexpected ${reply.status}: ${reply.body}`);
      }
    }
    throw new Error("poller: deadline passed before the job finished");
  })();
  return poller;
}

async function upstreamJobRequests(upstream: ServerProcess): Promise<number> {
  return (
    (await metricValue(upstream.url, "jobgate_http_requests_total", { route: "GET /v1/jobs/:jobID" })) +
    (await metricValue(upstream.url, "jobgate_http_requests_total", { route: "GET /v1/jobs/:jobID/stream" }))
  );
}

/** N pollers on a fresh job through `pollUrl`; the job changes `changes` times then succeeds. */
async function round(upstream: ServerProcess, pollUrl: string, pollers: number, changes: number, waitS: number): Promise<{ upstream: number; local: number }> {
  const jobId = await createJob(upstream.url);
  const before = await upstreamJobRequests(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const deadline = Date.now() + 120_000;
  const all = Array.from({ length: pollers }, () => poll(pollUrl, jobId, waitS, agent, deadline));
  await sleep(CHANGE_GAP_MS);
  for (let change = 1; change <= changes; change++) {
    await patchJob(upstream.url, jobId, { status: "running", progress: change / (changes + 1) });
    await sleep(CHANGE_GAP_MS);
  }
  await patchJob(upstream.url, jobId, { status: "succeeded" });
  await Promise.all(all.map((p) => p.done));
  agent.destroy();
  await sleep(200); // the proxy's watch stream ends after the terminal event; let it be counted
  return { upstream: (await upstreamJobRequests(upstream)) - before, local: all.reduce((sum, p) => sum + p.requests, 0) };
}

export async function runProxyUpstream(ctx: BenchContext): Promise<BenchResult> {
  const changes = numberFlag(ctx, "changes", 3, 2);
  const sizes = ctx.flags.pollers !== undefined ? ctx.flags.pollers.split(",").map(Number) : ctx.quick ? [10, 100] : [10, 100, 1000];
  const upstream = await startJobgateCli();
  const proxy = await startJobgateProxy(upstream.url);
  const figures: Figure[] = [];
  const raw: unknown[] = [];
  try {
    for (const pollers of sizes) {
      const direct = await round(upstream, upstream.url, pollers, changes, 0);
      const proxied = await round(upstream, proxy.url, pollers, changes, LONG_POLL_S);
      raw.push({ pollers, changes, direct, proxied });
      const perChange = proxied.upstream / (changes + 1);
      figures.push({
        name: `upstream requests, ${pollers} pollers, ${changes + 1} changes`,
        unit: "req",
        value: proxied.upstream,
        baseline: direct.upstream,
        baselineName: "direct seed loop",
        ratio: ratioOf(proxied.upstream, direct.upstream),
        target: "a small constant per change, not one per poller",
        met: perChange <= 3,
      });
    }
  } finally {
    await proxy.stop();
    await upstream.stop();
  }
  return {
    name: "proxy",
    title: "upstream requests for N pollers on one job: through `jobgate serve --upstream` vs polling the upstream directly",
    figures,
    notes: [
      `direct: each poller runs the seed's loop (conditional GET, ${SEED_SLEEP_MS / 1000} s sleep after a 304) against the upstream`,
      `proxied: each poller long-polls the proxy (Prefer: wait=${LONG_POLL_S}); the proxy keeps one upstream watch (SSE) per job`,
      "counts are the upstream's own jobgate_http_requests_total for GET /v1/jobs/{id} and /stream",
    ],
    raw,
  };
}
