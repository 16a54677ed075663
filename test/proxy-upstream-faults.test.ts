/**
 * Proxy mode against a faked upstream (nock): what callers see when the upstream says
 * no, limits them, fails, or cannot stream — and that nothing stale passes for fresh.
 */
import { request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import nock from "nock";
import { TOKENS } from "./helpers/keys.js";
import { startTestProxy, type TestServer } from "./helpers/server.js";

// nock patches Node's own http module, which every test file in this worker shares: take it off when this file ends.
afterAll(() => nock.restore());

const UPSTREAM = "http://upstream.invalid";
const JOB_ID = "job_01JAAAAAAAAAAAAAAAAAAAAAAA";
const job = {
  id: JOB_ID,
  type: "deployment.deploy",
  status: "running",
  progress: 0.5,
  created_at: "2026-06-24T01:02:00.110Z",
  resource: { type: "deployment", id: "site_1", site_id: "site_1" },
  result: null,
  error: null,
  links: { self: `/v1/jobs/${JOB_ID}`, stream: `/v1/jobs/${JOB_ID}/stream` },
};

let proxy: TestServer;
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});
beforeEach(async () => {
  proxy = await startTestProxy(UPSTREAM, { accessTtlMs: 60_000, sseFirstByteMs: 200 });
});
afterEach(async () => {
  await proxy.close();
  nock.cleanAll();
});
afterAll(() => nock.enableNetConnect());

const read = (token: string = TOKENS.reader) => proxy.request(`/v1/jobs/${JOB_ID}`, { token });

test("the caller's token and Forge-Version go upstream; 401 and 403 are relayed with their messages", async () => {
  nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.reader}`, "forge-version": "2026-06-23" } })
    .get(`/v1/jobs/${JOB_ID}`)
    .reply(401, { error: { code: "unauthenticated", message: "the bearer token is not valid for this server" } });
  const unauthenticated = await read();
  expect(unauthenticated.status).toBe(401);
  expect(unauthenticated.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect(unauthenticated.json.error).toEqual({ code: "unauthenticated", message: "the bearer token is not valid for this server" });

  nock(UPSTREAM)
    .get(`/v1/jobs/${JOB_ID}`)
    .reply(403, { error: { code: "insufficient_scope", message: "this key lacks the jobs:read scope" } });
  const forbidden = await read();
  expect(forbidden.status).toBe(403);
  expect(forbidden.json.error.code).toBe("insufficient_scope");
  expect(forbidden.json.request_id).toBe(forbidden.headers.get("x-request-id"));
});

test("429 from the upstream is relayed with its Retry-After", async () => {
  nock(UPSTREAM)
    .get(`/v1/jobs/${JOB_ID}`)
    .reply(429, { error: { code: "rate_limited", message: "slow down" } }, { "Retry-After": "7" });
  const res = await read();
  expect(res.status).toBe(429);
  expect(res.headers.get("retry-after")).toBe("7");
  expect(res.json.error).toEqual({ code: "rate_limited", message: "slow down" });
});

test("5xx and network failures upstream are 503 unavailable with Retry-After", async () => {
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).reply(502, "Bad Gateway");
  const bad = await read();
  expect(bad.status).toBe(503);
  expect(bad.headers.get("retry-after")).toBe("5");
  expect(bad.json.error).toEqual({ code: "unavailable", message: "the upstream jobs API is unavailable (it answered 502); try again shortly" });

  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" });
  const refused = await read();
  expect(refused.status).toBe(503);
  expect(refused.json.error.message).toBe("the upstream jobs API is unavailable (it could not be reached); try again shortly");
});

test("while the watch cannot reach the upstream, an admitted token is not served the cache as fresh", async () => {
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).reply(200, { data: job, request_id: "req_up" }, { ETag: '"w/job-4"' });
  nock(UPSTREAM)
    .get(`/v1/jobs/${JOB_ID}/stream`)
    .times(20)
    .reply(503, { error: { code: "unavailable", message: "down" } });
  const first = await read();
  expect(first.status).toBe(200);
  expect(first.headers.get("etag")).toBe('"w/job-4"');

  nock(UPSTREAM)
    .get(`/v1/jobs/${JOB_ID}`)
    .reply(503, { error: { code: "unavailable", message: "down" } });
  const second = await read();
  expect(second.status).toBe(503);
  expect(second.json.error.code).toBe("unavailable");
});

test("a list passes through as the caller, filters included, and is not shared", async () => {
  nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.reader}` } })
    .get("/v1/jobs")
    .query({ status: "running", limit: "2" })
    .reply(200, { data: [job], next_cursor: "c1", request_id: "req_up" });
  const res = await proxy.request("/v1/jobs?status=running&limit=2", { token: TOKENS.reader });
  expect(res.status).toBe(200);
  expect(res.json).toEqual({ data: [job], next_cursor: "c1", request_id: res.headers.get("x-request-id") });

  nock(UPSTREAM)
    .get("/v1/jobs")
    .query({ limit: "NaN" })
    .reply(400, { error: { code: "invalid_request", message: "limit must be a whole number from 1 to 100" } });
  const bad = await proxy.request("/v1/jobs?limit=ten", { token: TOKENS.reader });
  expect(bad.status).toBe(400);
  expect(bad.json.error).toEqual({ code: "invalid_request", message: "limit must be a whole number from 1 to 100" });
});

test("proxy mode has no producer side or demo operations", async () => {
  expect((await proxy.request("/internal/v1/jobs", { method: "POST", body: {} })).status).toBe(404);
  expect((await proxy.request("/v1/sites/site_1/deploys", { method: "POST" })).status).toBe(404);
});

describe("access decisions", () => {
  test("a decision expires after --access-ttl: a token the upstream then refuses is refused", async () => {
    const shortLived = await startTestProxy(UPSTREAM, { accessTtlMs: 300, sseFirstByteMs: 200 });
    try {
      nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).reply(200, { data: job, request_id: "req_up" }, { ETag: '"w/job-4"' });
      nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}/stream`).reply(200, `retry: 3000\n: hi\n\n`, { "Content-Type": "text/event-stream" });
      expect((await shortLived.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.reader })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 400));
      nock(UPSTREAM)
        .get(`/v1/jobs/${JOB_ID}`)
        .reply(401, { error: { code: "unauthenticated", message: "key revoked" } });
      const revoked = await shortLived.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-4"' } });
      expect(revoked.status).toBe(401);
      expect(revoked.json.error.message).toBe("key revoked");
    } finally {
      await shortLived.close();
    }
  });

  test("--access-ttl 0s trusts no decision: every read asks the upstream", async () => {
    const noTrust = await startTestProxy(UPSTREAM, { accessTtlMs: 0, sseFirstByteMs: 200 });
    try {
      const scope = nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).times(3).reply(200, { data: job, request_id: "req_up" }, { ETag: '"w/job-4"' });
      nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}/stream`).times(5).reply(503, {});
      for (let i = 0; i < 3; i++) expect((await noTrust.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.reader })).status).toBe(200);
      expect(scope.isDone()).toBe(true);
    } finally {
      await noTrust.close();
    }
  });
});

test("ids that are not job ids never reach the upstream", async () => {
  // A path given apart from the URL is sent as written (a URL would have its dot segments resolved).
  const rawGet = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(proxy.url);
      const req = httpRequest({ hostname, port, path, headers: { authorization: `Bearer ${TOKENS.reader}` } }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
      });
      req.on("error", reject);
      req.end();
    });
  for (const path of ["/v1/jobs/.", "/v1/jobs/..", "/v1/jobs/a%20b", "/v1/jobs/a%2Fb", "/v1/jobs/..%2Fsites"]) {
    const res = await rawGet(path);
    expect([path, res.status]).toEqual([path, 404]);
    expect(JSON.parse(res.body).error.code).toBe("not_found");
  }
});

test("a client that leaves while its stream waits on the upstream is released", async () => {
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).delay(800).reply(200, { data: job, request_id: "req_up" }, { ETag: '"w/job-4"' });
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}/stream`).times(5).reply(503, {});
  const controller = new AbortController();
  const opened = proxy.request(`/v1/jobs/${JOB_ID}/stream`, { token: TOKENS.reader, signal: controller.signal }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  controller.abort();
  await opened;
  await new Promise((resolve) => setTimeout(resolve, 1200));
  expect(proxy.server.metrics.openStreams).toBe(0);
});

test("when the upstream refuses the watch's token, the watch falls back on another admitted caller's", async () => {
  const version5 = { ...job, progress: 0.9 };
  // Both callers are admitted; the watch starts with the first one's token.
  nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.reader}` } })
    .get(`/v1/jobs/${JOB_ID}`)
    .reply(200, { data: job, request_id: "r" }, { ETag: '"w/job-4"' });
  // (The second caller reads again before its hold: the watch is not yet connected then.)
  nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.site1}` } })
    .get(`/v1/jobs/${JOB_ID}`)
    .times(2)
    .reply(200, { data: job, request_id: "r" }, { ETag: '"w/job-4"' });
  // The first token is refused on the stream, once the second caller has come (and before
  // the 200 ms first-byte bound would take the refusal for a buffering proxy)...
  const refused = nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.reader}` } })
    .get(`/v1/jobs/${JOB_ID}/stream`)
    .delay(120)
    .reply(401, { error: { code: "unauthenticated", message: "revoked" } });
  // ...and the second one streams the next state.
  const fallback = nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.site1}` } })
    .get(`/v1/jobs/${JOB_ID}/stream`)
    .reply(200, `retry: 3000\n\nevent: job\nid: 5\ndata: ${JSON.stringify(version5)}\n\n`, { "Content-Type": "text/event-stream" });
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}/stream`).times(10).reply(503, {});

  expect((await read(TOKENS.reader)).status).toBe(200);
  expect((await read(TOKENS.site1)).status).toBe(200);
  const held = await proxy.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.site1, headers: { "if-none-match": '"w/job-4"', prefer: "wait=10" } });
  expect(held.status).toBe(200);
  expect(held.headers.get("etag")).toBe('"w/job-5"');
  expect(held.json.data.progress).toBe(0.9);
  expect(refused.isDone()).toBe(true);
  expect(fallback.isDone()).toBe(true);
});

test("a held poll that outlives its access decision asks the upstream again before its 304", async () => {
  const shortLived = await startTestProxy(UPSTREAM, { accessTtlMs: 300, sseFirstByteMs: 1000 });
  try {
    nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).reply(200, { data: job, request_id: "r" }, { ETag: '"w/job-4"' });
    // A live, quiet stream: the watch is healthy, so only the access decision can stop the 304.
    nock(UPSTREAM)
      .get(`/v1/jobs/${JOB_ID}/stream`)
      .reply(
        200,
        () => {
          const body = new Readable({ read() {} });
          body.push(": hello\n\n");
          return body;
        },
        { "Content-Type": "text/event-stream" },
      );
    expect((await shortLived.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.reader })).status).toBe(200);
    nock(UPSTREAM)
      .get(`/v1/jobs/${JOB_ID}`)
      .reply(401, { error: { code: "unauthenticated", message: "revoked meanwhile" } });
    const held = await shortLived.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-4"', prefer: "wait=1" } });
    expect(held.status).toBe(401);
    expect(held.json.error.message).toBe("revoked meanwhile");
  } finally {
    await shortLived.close();
  }
});

test("an upstream event that is not a state of the job is never cached or served", async () => {
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).reply(200, { data: job, request_id: "r" }, { ETag: '"w/job-4"' });
  const bogus = { ...job, id: "job_01JBBBBBBBBBBBBBBBBBBBBBBB", progress: 0.99 };
  nock(UPSTREAM)
    .get(`/v1/jobs/${JOB_ID}/stream`)
    .times(10)
    .reply(200, `event: job\nid: 9\ndata: ${JSON.stringify(bogus)}\n\n`, { "Content-Type": "text/event-stream" });
  expect((await read()).status).toBe(200);
  const held = await proxy.request(`/v1/jobs/${JOB_ID}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-4"', prefer: "wait=1" } });
  expect(held.status).not.toBe(200);
  expect(held.headers.get("etag")).not.toBe('"w/job-9"');
});

test("an upstream that closes every stream at once is backed off from, not hammered", async () => {
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}`).reply(200, { data: job, request_id: "r" }, { ETag: '"w/job-4"' });
  nock(UPSTREAM).get(`/v1/jobs/${JOB_ID}/stream`).times(1000).reply(200, "", { "Content-Type": "text/event-stream" });
  expect((await read()).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const metrics = (await proxy.request("/metrics", { token: null })).text;
  const streams = Number(/jobgate_upstream_requests_total\{kind="watch_stream"\} (\d+)/.exec(metrics)?.[1]);
  expect(streams).toBeGreaterThanOrEqual(1);
  expect(streams).toBeLessThanOrEqual(10); // jittered backoff from 500 ms: a handful, not hundreds
});

test("concurrent callers with one token share one access check; another token gets its own", async () => {
  const done = { ...job, status: "succeeded", progress: 1, result: { release_id: "rel_1" } };
  const reader = nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.reader}` } })
    .get(`/v1/jobs/${JOB_ID}`)
    .delay(200)
    .reply(200, { data: done, request_id: "req_1" }, { ETag: '"w/job-3"' });
  const other = nock(UPSTREAM, { reqheaders: { authorization: `Bearer ${TOKENS.site1}` } })
    .get(`/v1/jobs/${JOB_ID}`)
    .reply(200, { data: done, request_id: "req_2" }, { ETag: '"w/job-3"' });
  // Interceptors answer once each: an eleventh upstream request would find none and make a 503.
  const answers = await Promise.all([...Array.from({ length: 10 }, () => read(TOKENS.reader)), read(TOKENS.site1)]);
  expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 11 }, () => 200));
  expect(reader.isDone()).toBe(true);
  expect(other.isDone()).toBe(true);
});
