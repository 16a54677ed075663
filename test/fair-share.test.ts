/**
 * Fair share between keys (spec §2): one key's held long-polls and streams are capped
 * (`--max-holds-per-key`, 429 past it, other keys unaffected), and the unsent bytes of all
 * streams together are bounded (`--stream-buffer-total`): stalled readers are ended,
 * the most-behind first, while a reader that keeps up goes on receiving.
 */
import { connect, type Socket } from "node:net";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { openStream } from "./helpers/sse.js";

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("--max-holds-per-key", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ maxHoldsPerKey: 3, maxWaitS: 30, heartbeatMs: 60_000 });
  });
  afterAll(() => api.close());

  test("a key past its holds gets 429 naming the limit, with Retry-After; other keys hold on; a freed hold is taken again", async () => {
    const job = await api.publish();
    const controllers = Array.from({ length: 2 }, () => new AbortController());
    const holds = controllers.map((controller) =>
      api
        .request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=25" }, signal: controller.signal })
        .catch(() => undefined),
    );
    await until(() => api.server.metrics.heldLongPolls === 2, "two holds");
    // A stream counts against the same quota.
    const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
    expect(stream.status).toBe(200);

    const refused = await api.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=25" } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.json.error).toEqual({
      code: "rate_limited",
      message: "this key already holds 3 long-polls and streams (--max-holds-per-key 3); wait for one to end, or ask without a wait",
    });
    const refusedStream = await api.request(`/v1/jobs/${job.id}/stream`, { token: TOKENS.reader });
    expect(refusedStream.status).toBe(429);
    // Asking without a wait costs no hold.
    expect((await api.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"' } })).status).toBe(304);

    const otherKey = new AbortController();
    const other = api
      .request(`/v1/jobs/${job.id}`, { token: TOKENS.all, headers: { "if-none-match": '"w/job-1"', prefer: "wait=25" }, signal: otherKey.signal })
      .catch(() => undefined);
    await until(() => api.server.metrics.heldLongPolls === 3, "the other key's hold");

    controllers[0]!.abort();
    await until(() => api.server.metrics.heldLongPolls === 2, "a released hold");
    const again = api.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=25" } });
    await until(() => api.server.metrics.heldLongPolls === 3, "the hold taken again");
    await api.patch(job.id, { status: "running" });
    expect((await again).status).toBe(200);

    stream.close();
    otherKey.abort();
    controllers[1]!.abort();
    await Promise.all([...holds, other]);
    const metrics = await api.request("/metrics", { token: null });
    expect(metrics.text).toMatch(/jobgate_limit_hits_total\{limit="max_holds_per_key"\} 2/);
  });
});

describe("--stream-buffer-total", () => {
  const BUDGET = 256 * 1024;
  let api: TestServer;
  beforeAll(async () => {
    // A per-stream bound far above the total, so that only the total can end a stream.
    api = await startTestServer({ streamBufferTotalBytes: BUDGET, streamBufferBytes: 64 * 1024 * 1024, heartbeatMs: 60_000 });
  });
  afterAll(() => api.close());

  /** A client that opens the stream and never reads a byte of it. */
  function stalledReader(jobId: string): Promise<Socket> {
    return new Promise((resolve) => {
      const socket = connect(api.server.port, "127.0.0.1", () => {
        socket.write(`GET /v1/jobs/${jobId}/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.reader}\r\n\r\n`);
        socket.pause();
        resolve(socket);
      });
      socket.on("error", () => undefined);
    });
  }

  test("stalled readers are ended once the streams' unsent bytes pass the budget; a reader that keeps up goes on", async () => {
    const job = await api.publish();
    const stalled = await Promise.all(Array.from({ length: 4 }, () => stalledReader(job.id)));
    const healthy = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.all);
    await until(() => api.server.metrics.openStreams === 5, "five streams");
    const store = api.server.store!;
    let peakUnsent = 0;
    // Each change is one event (~400 bytes) to every stream; a stalled reader's kernel
    // buffers take a few MiB before anything waits in the process.
    for (let i = 1; i <= 20_000 && api.server.metrics.openStreams > 1; i++) {
      await store.update(job.id, () => ({ progress: i / 1_000_000 }));
      await new Promise((resolve) => setImmediate(resolve)); // let the reader that keeps up read
      if (i % 200 === 0) {
        const metrics = await api.request("/metrics", { token: null });
        peakUnsent = Math.max(peakUnsent, Number(/jobgate_stream_unsent_bytes (\d+)/.exec(metrics.text)?.[1]));
      }
    }
    expect(api.server.metrics.openStreams).toBe(1);
    // Shedding keeps the total under the budget (plus at most the event that tipped it, to each stream).
    expect(peakUnsent).toBeLessThanOrEqual(BUDGET + 5 * 4096);
    const metrics = await api.request("/metrics", { token: null });
    expect(metrics.text).toMatch(/jobgate_limit_hits_total\{limit="stream_buffer_total"\} [1-9]/);
    // The reader that kept up saw the latest change.
    const latest = (await store.get(job.id))!.version;
    await healthy.until((text) => text.includes(`id: ${latest}\n`), 10_000);
    healthy.close();
    for (const socket of stalled) socket.destroy();
  }, 60_000);
});
