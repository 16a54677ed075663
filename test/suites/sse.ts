/**
 * GET /v1/jobs/{id}/stream (spec §4): framing, live changes, resume, heartbeat, close.
 * On every store backend: test/sse.test.ts runs it on memory, test/store-postgres-api.test.ts on PostgreSQL.
 */
import { connect } from "node:net";
import { TOKENS } from "../helpers/keys.js";
import type { TestServer } from "../helpers/server.js";
import { jobEvents, openStream } from "../helpers/sse.js";
import type { TestBackend } from "../helpers/backends.js";

export function describeSse(backend: TestBackend): void {
  describe(`SSE stream on ${backend.name}`, () => {
    let api: TestServer;
    beforeAll(async () => {
      api = await backend.start({ heartbeatMs: 200 });
    });
    afterAll(() => api.close());

    test("headers, the immediate preamble, then the current state as one event", async () => {
      const job = await api.publish();
      const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
      expect(stream.status).toBe(200);
      expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(stream.headers.get("cache-control")).toBe("no-cache, no-transform");
      expect(stream.headers.get("x-accel-buffering")).toBe("no");
      expect(stream.headers.get("content-encoding")).toBeNull();
      const text = await stream.until((t) => jobEvents(t).length === 1);
      expect(text.startsWith(`retry: 3000\n: jobgate stream for ${job.id}\n\n`)).toBe(true);
      expect(text).toContain(`event: job\nid: 1\ndata: ${JSON.stringify(job)}\n\n`);
      stream.close();
    });

    test("each change is one event with the version as id, and the stream ends after the terminal one", async () => {
      const job = await api.publish();
      const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
      await stream.until((t) => jobEvents(t).length === 1);
      await api.patch(job.id, { status: "running", progress: 0.5 });
      await stream.until((t) => jobEvents(t).length === 2);
      await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_9" } });
      await stream.ended;
      const events = jobEvents(stream.text());
      expect(events.map((e) => [e.id, e.data.status, e.data.progress])).toEqual([
        ["1", "queued", 0],
        ["2", "running", 0.5],
        ["3", "succeeded", 1],
      ]);
      expect(events[2]!.data.result).toEqual({ release_id: "rel_9" });
    });

    test("Last-Event-ID equal to the current version does not re-send it; any other value replays", async () => {
      const job = await api.publish();
      await api.patch(job.id, { progress: 0.3 });
      const resumed = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader, { "last-event-id": "2" });
      await resumed.until((t) => t.includes(": jobgate stream"));
      await api.patch(job.id, { progress: 0.6 });
      await resumed.until((t) => jobEvents(t).length === 1);
      expect(jobEvents(resumed.text()).map((e) => e.id)).toEqual(["3"]);
      resumed.close();

      const stale = await openStream(`${api.url}/v1/jobs/${job.id}/stream?last_event_id=1`, TOKENS.reader);
      await stale.until((t) => jobEvents(t).length === 1);
      expect(jobEvents(stale.text())[0]!.id).toBe("3");
      stale.close();
    });

    test("resuming a finished job at its last version ends the stream with nothing re-sent", async () => {
      const job = await api.publish();
      await api.patch(job.id, { status: "succeeded" });
      const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream?last_event_id=2`, TOKENS.reader);
      await stream.ended;
      expect(jobEvents(stream.text())).toEqual([]);
      const fresh = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
      await fresh.ended;
      expect(jobEvents(fresh.text()).map((e) => e.data.status)).toEqual(["succeeded"]);
    });

    test("heartbeat comments flow while the job is idle", async () => {
      const job = await api.publish();
      const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
      await stream.until((t) => t.split(": heartbeat\n\n").length >= 3, 5000);
      stream.close();
    });

    test("a client that disconnects closes its stream on the server", async () => {
      const job = await api.publish();
      const base = api.server.metrics.openStreams;
      const stream = await openStream(`${api.url}/v1/jobs/${job.id}/stream`, TOKENS.reader);
      await stream.until((t) => jobEvents(t).length === 1);
      expect(api.server.metrics.openStreams).toBe(base + 1);
      stream.close();
      const deadline = Date.now() + 2000;
      while (api.server.metrics.openStreams > base && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(api.server.metrics.openStreams).toBe(base);
    });

    test("auth errors come as JSON before any stream starts", async () => {
      const job = await api.publish();
      const res = await api.request(`/v1/jobs/${job.id}/stream`, { token: null });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    });

    test("a client that asks Connection: close has the connection closed once the stream ends: keep-alive is never forced on it", async () => {
      const job = await api.publish();
      await api.patch(job.id, { status: "succeeded" });
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(api.server.port, "127.0.0.1");
        let text = "";
        // Under Node's keep-alive timeout (5 s): a connection kept alive would still be open.
        const timer = setTimeout(() => (socket.destroy(), reject(new Error(`the connection was kept open after the stream ended: ${text}`))), 4_000);
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => (text += chunk));
        socket.on("close", () => (clearTimeout(timer), resolve(text.slice(0, text.indexOf("\r\n\r\n")))));
        socket.write(`GET /v1/jobs/${job.id}/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.reader}\r\nConnection: close\r\n\r\n`);
      });
      expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(head.toLowerCase()).toContain("\r\nconnection: close");
    });

    test("HEAD on a stream answers its headers and ends", async () => {
      const job = await api.publish();
      const res = await api.request(`/v1/jobs/${job.id}/stream`, { method: "HEAD", token: TOKENS.reader });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
      expect(res.text).toBe("");
    });
  });
}
