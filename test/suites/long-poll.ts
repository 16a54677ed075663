/**
 * Long-poll (spec §4): true holds woken by changes, timeouts, the cap, release on disconnect.
 * On every store backend: test/long-poll.test.ts runs it on memory, test/store-postgres-api.test.ts on PostgreSQL.
 */
import { TOKENS } from "../helpers/keys.js";
import type { TestServer } from "../helpers/server.js";
import type { TestBackend } from "../helpers/backends.js";

export function describeLongPoll(backend: TestBackend): void {
  describe(`long-poll on ${backend.name}`, () => {
    let api: TestServer;
    beforeAll(async () => {
      api = await backend.start({ maxWaitS: 2 });
    });
    afterAll(() => api.close());

    const poll = (id: string, headers: Record<string, string>, query = "", signal?: AbortSignal) =>
      api.request(`/v1/jobs/${id}${query}`, { headers: { "if-none-match": '"w/job-1"', ...headers }, ...(signal ? { signal } : {}) });

    async function untilHeld(count: number): Promise<void> {
      const deadline = Date.now() + 5000;
      while (api.server.metrics.heldLongPolls < count) {
        if (Date.now() > deadline) throw new Error(`only ${api.server.metrics.heldLongPolls} of ${count} long-polls held`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }

    test("a held long-poll is answered 200 with the new state within milliseconds of a change", async () => {
      const job = await api.publish();
      const held = poll(job.id, { prefer: "wait=2" });
      await untilHeld(1);
      const changedAt = performance.now();
      await api.patch(job.id, { status: "running", progress: 0.4 });
      const res = await held;
      const latency = performance.now() - changedAt;
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).toBe('"w/job-2"');
      expect(res.headers.get("preference-applied")).toBe("wait=2");
      expect(res.headers.get("vary")).toBe("Prefer");
      expect(res.json.data).toMatchObject({ status: "running", progress: 0.4 });
      expect(latency).toBeLessThan(1000); // generous: it is woken, not polled
    });

    test("every waiter on the job is woken by one change", async () => {
      const job = await api.publish();
      const base = api.server.metrics.heldLongPolls;
      const waits = Array.from({ length: 50 }, () => poll(job.id, { prefer: "wait=2" }));
      await untilHeld(base + 50);
      await api.patch(job.id, { progress: 0.2 });
      const answers = await Promise.all(waits);
      expect(answers.map((res) => res.status)).toEqual(Array(50).fill(200));
    });

    test("a wait that elapses answers 304 with Preference-Applied and the poll hint", async () => {
      const job = await api.publish();
      const started = performance.now();
      const res = await poll(job.id, { prefer: "wait=1" });
      const elapsed = performance.now() - started;
      expect(res.status).toBe(304);
      expect(res.headers.get("preference-applied")).toBe("wait=1");
      expect(res.headers.get("retry-after")).toBe("2");
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(10_000);
    });

    test("the wait is capped by --max-wait and the applied value is reported", async () => {
      const job = await api.publish();
      const res = await poll(job.id, { prefer: "respond-async, wait=600; foo=bar" });
      expect(res.status).toBe(304);
      expect(res.headers.get("preference-applied")).toBe("wait=2");
    });

    test("?wait wins over Prefer", async () => {
      const job = await api.publish();
      const res = await poll(job.id, { prefer: "wait=2" }, "?wait=1");
      expect(res.headers.get("preference-applied")).toBe("wait=1");
    });

    test("without a matching If-None-Match the wait is ignored", async () => {
      const job = await api.publish();
      const started = performance.now();
      const res = await api.request(`/v1/jobs/${job.id}`, { headers: { prefer: "wait=2", "if-none-match": '"w/job-7"' } });
      expect(res.status).toBe(200);
      expect(res.headers.get("preference-applied")).toBeNull();
      expect(performance.now() - started).toBeLessThan(1500);
    });

    test("wait=0 answers at once", async () => {
      const job = await api.publish();
      const res = await poll(job.id, { prefer: "wait=0" });
      expect(res.status).toBe(304);
      expect(res.headers.get("preference-applied")).toBeNull();
    });

    test.each([
      [{ prefer: "wait=soon" }, "", 'Prefer: wait must be a whole number of seconds (e.g. 30), got "soon"'],
      [{ prefer: "wait=-1" }, "", 'Prefer: wait must be a whole number of seconds (e.g. 30), got "-1"'],
      [{ prefer: "wait" }, "", "Prefer: wait needs a value in seconds, e.g. wait=30"],
      [{}, "?wait=1.5", 'query parameter wait must be a whole number of seconds (e.g. 30), got "1.5"'],
      [{}, "?wait=1&wait=2", 'query parameter wait must be a whole number of seconds (e.g. 30), got "1,2"'],
    ])("a malformed wait is a 400 naming wait (%#)", async (headers, query, message) => {
      const job = await api.publish();
      const res = await poll(job.id, headers, query);
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({ code: "invalid_request", message });
      expect(res.headers.get("vary")).toBe("Prefer");
    });

    test("a held request whose client goes away is released at once", async () => {
      const job = await api.publish();
      const base = api.server.metrics.heldLongPolls;
      const controller = new AbortController();
      const held = poll(job.id, { prefer: "wait=2" }, "", controller.signal).catch((error: unknown) => error);
      await untilHeld(base + 1);
      controller.abort();
      await held;
      const deadline = Date.now() + 1000;
      while (api.server.metrics.heldLongPolls > base && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(api.server.metrics.heldLongPolls).toBe(base);
    });

    test("a terminal job is never held", async () => {
      const job = await api.publish();
      await api.patch(job.id, { status: "failed", error: { code: "boom", message: "it broke" } });
      const started = performance.now();
      const res = await api.request(`/v1/jobs/${job.id}`, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-2"', prefer: "wait=2" } });
      expect(res.status).toBe(304);
      expect(performance.now() - started).toBeLessThan(1500);
    });
  });
}
