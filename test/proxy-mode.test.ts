/**
 * Proxy mode end to end (spec §7): a real standalone upstream ← a real proxy. Upstream
 * requests are counted from the upstream's own /metrics.
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { MemoryJobStore } from "../proxy/store/memory.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestProxy, startTestServer, type TestServer } from "./helpers/server.js";
import { jobEvents, openStream } from "./helpers/sse.js";

let upstream: TestServer;
let proxy: TestServer;
const store = new MemoryJobStore();

beforeEach(async () => {
  upstream = await startTestServer({ heartbeatMs: 1000 }, { store });
  proxy = await startTestProxy(upstream.url, { accessTtlMs: 60_000, watchIdleMs: 3000, maxWaitS: 20 });
});
afterEach(async () => {
  await proxy.close();
  await upstream.close();
});

/** GETs of one job and of its stream that reached the upstream so far. */
async function upstreamJobRequests(): Promise<number> {
  const text = await (await fetch(`${upstream.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (/^jobgate_http_requests_total\{route="GET \/v1\/jobs\/:jobID(\/stream)?"/.test(line)) total += Number(line.split(" ").pop());
  }
  return total;
}

const longPoll = (api: TestServer, id: string, etag: string, token: string = TOKENS.reader) =>
  api.request(`/v1/jobs/${id}`, { token, headers: { "if-none-match": etag, prefer: "wait=15" } });

async function untilHeld(api: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (api.server.metrics.heldLongPolls < count) {
    if (Date.now() > deadline) throw new Error(`only ${api.server.metrics.heldLongPolls} of ${count} held`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("reads through the proxy: the upstream's envelope and ETag, the proxy's request id, 304s", async () => {
  const job = await upstream.publish();
  const res = await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader });
  expect(res.status).toBe(200);
  expect(res.json.data).toEqual(job);
  expect(res.headers.get("etag")).toBe('"w/job-1"');
  expect(res.json.request_id).toBe(res.headers.get("x-request-id"));
  const notModified = await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"' } });
  expect(notModified.status).toBe(304);
  const list = await proxy.request("/v1/jobs?limit=5", { token: TOKENS.reader });
  expect(list.status).toBe(200);
  expect(list.json.data[0].id).toBe(job.id);
});

test("many pollers on one job cost the upstream a small constant number of requests, not one per poller", async () => {
  const cost = async (pollers: number): Promise<number> => {
    const job = await upstream.publish();
    const before = await upstreamJobRequests();
    let etag = (await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader })).headers.get("etag")!;
    for (let change = 1; change <= 3; change++) {
      const base = proxy.server.metrics.heldLongPolls;
      const polls = Array.from({ length: pollers }, () => longPoll(proxy, job.id, etag));
      await untilHeld(proxy, base + pollers);
      if (change === 1) {
        const metrics = (await proxy.request("/metrics", { token: null })).text;
        expect(metrics).toContain(`jobgate_upstream_pollers_per_watch_max ${pollers}`);
        expect(metrics).toMatch(/jobgate_upstream_watches [1-9]/);
      }
      await upstream.patch(job.id, { status: "running", progress: change / 4 });
      const answers = await Promise.all(polls);
      expect(answers.every((res) => res.status === 200 && res.json.data.progress === change / 4)).toBe(true);
      etag = answers[0]!.headers.get("etag")!;
    }
    return (await upstreamJobRequests()) - before;
  };
  const few = await cost(5);
  const many = await cost(60);
  expect(many).toBeLessThanOrEqual(6);
  expect(many).toBeLessThanOrEqual(few + 1);
});

test("a token of another tenant is judged by the upstream and never sees the cached job", async () => {
  const job = await upstream.publish({ resource: { type: "deployment", site_id: "site_2" }, team_id: "team_2" });
  expect((await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader })).status).toBe(200);
  for (const token of [TOKENS.other, TOKENS.site1, TOKENS.team1]) {
    const res = await proxy.request(`/v1/jobs/${job.id}`, { token, headers: { "if-none-match": '"w/job-1"' } });
    expect(res.status).toBe(404);
    expect(res.json.error).toEqual({ code: "not_found", message: `job ${job.id} not found` });
    const stream = await proxy.request(`/v1/jobs/${job.id}/stream`, { token });
    expect(stream.status).toBe(404);
  }
  const missing = await proxy.request(`/v1/jobs/${job.id}`, { token: null });
  expect(missing.status).toBe(401);
  const wrongScope = await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.publisher });
  expect(wrongScope.status).toBe(403);
  expect(wrongScope.json.error.code).toBe("insufficient_scope");
  const unknown = await proxy.request(`/v1/jobs/${job.id}`, { token: "mfk_unknown_token" });
  expect(unknown.status).toBe(401);
});

test("SSE through the proxy delivers live changes and ends after the terminal one", async () => {
  const job = await upstream.publish();
  const stream = await openStream(`${proxy.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
  expect(stream.status).toBe(200);
  await stream.until((text) => jobEvents(text).length === 1);
  await upstream.patch(job.id, { status: "running", progress: 0.5 });
  await stream.until((text) => jobEvents(text).length === 2);
  await upstream.patch(job.id, { status: "succeeded" });
  await stream.ended;
  expect(jobEvents(stream.text()).map((event) => [event.id, event.data.status])).toEqual([
    ["1", "queued"],
    ["2", "running"],
    ["3", "succeeded"],
  ]);
});

test("the upstream going away yields 503 with Retry-After; held long-polls wait and are answered when it returns", async () => {
  const job = await upstream.publish();
  await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader });
  const held = longPoll(proxy, job.id, '"w/job-1"');
  await untilHeld(proxy, 1);
  const port = new URL(upstream.url).port;
  await upstream.close();

  const down = await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader });
  expect(down.status).toBe(503);
  expect(down.headers.get("retry-after")).toBe("5");
  expect(down.json.error.code).toBe("unavailable");
  expect(proxy.server.metrics.heldLongPolls).toBe(1);

  upstream = await startTestServer({ heartbeatMs: 1000, port: Number(port) }, { store });
  await upstream.patch(job.id, { status: "running", progress: 0.7 });
  const res = await held;
  expect(res.status).toBe(200);
  expect(res.json.data.progress).toBe(0.7);
  expect((await proxy.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader })).status).toBe(200);
});

test("behind a middlebox that buffers SSE, the watch falls back to upstream long-polls", async () => {
  const buffering = await bufferingRelay(new URL(upstream.url));
  const viaBox = await startTestProxy(buffering.url, { accessTtlMs: 60_000, sseFirstByteMs: 300, maxWaitS: 20 });
  try {
    const job = await upstream.publish();
    await viaBox.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader });
    const held = longPoll(viaBox, job.id, '"w/job-1"');
    await untilHeld(viaBox, 1);
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the first-byte bound
    const changedAt = performance.now();
    await upstream.patch(job.id, { progress: 0.4 });
    const res = await held;
    expect(res.status).toBe(200);
    expect(res.json.data.progress).toBe(0.4);
    expect(performance.now() - changedAt).toBeLessThan(5000);
    const metrics = await viaBox.request("/metrics", { token: null });
    expect(metrics.text).toMatch(/jobgate_upstream_requests_total\{kind="watch_poll"\} [1-9]/);
  } finally {
    await viaBox.close();
    buffering.close();
  }
});

test("an upstream that cuts quiet streams (an idle timeout) does not make held polls fail", async () => {
  const cutting = await bufferingRelay(new URL(upstream.url), "cut");
  const viaBox = await startTestProxy(cutting.url, { accessTtlMs: 60_000, maxWaitS: 20 });
  try {
    const job = await upstream.publish();
    await viaBox.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader });
    for (let i = 0; i < 3; i++) {
      const res = await viaBox.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=2" } });
      expect(res.status).toBe(304);
    }
  } finally {
    await viaBox.close();
    cutting.close();
  }
});

/**
 * A relay that passes everything through but mistreats SSE bodies as middleboxes do:
 * "buffer" holds them back; "cut" closes each stream after CUT_AFTER_MS.
 */
const CUT_AFTER_MS = 1_200;
async function bufferingRelay(target: URL, mode: "buffer" | "cut" = "buffer"): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    const upstreamReq = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode!, upstreamRes.headers);
      const sse = String(upstreamRes.headers["content-type"]).startsWith("text/event-stream");
      if (sse && mode === "buffer") return; // buffered "forever"
      if (sse) setTimeout(() => res.destroy(), CUT_AFTER_MS);
      upstreamRes.pipe(res);
    });
    upstreamReq.on("error", () => res.destroy());
    req.pipe(upstreamReq);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

test("a watch ends when nobody has asked for --watch-idle, and after the terminal state", async () => {
  const quick = await startTestProxy(upstream.url, { accessTtlMs: 60_000, watchIdleMs: 300 });
  const watches = async () => Number(/jobgate_upstream_watches (\d+)/.exec((await quick.request("/metrics", { token: null })).text)![1]);
  const until = async (predicate: () => Promise<boolean>) => {
    const deadline = Date.now() + 10_000;
    while (!(await predicate())) {
      if (Date.now() > deadline) throw new Error("condition not reached in 10 s");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  try {
    const idle = await upstream.publish();
    await quick.request(`/v1/jobs/${idle.id}`, { token: TOKENS.reader });
    expect(await watches()).toBe(1);
    await until(async () => (await watches()) === 0); // heartbeats every 1 s let it notice

    const finishing = await upstream.publish();
    const held = longPoll(quick, finishing.id, '"w/job-1"');
    await untilHeld(quick, 1);
    await upstream.patch(finishing.id, { status: "succeeded" });
    expect((await held).json.data.status).toBe("succeeded");
    await until(async () => (await watches()) === 0);
    // The finished state stays servable to an admitted token without a watch.
    const again = await quick.request(`/v1/jobs/${finishing.id}`, { token: TOKENS.reader });
    expect(again.json.data.status).toBe("succeeded");
    expect(await watches()).toBe(0);
  } finally {
    await quick.close();
  }
});
