/**
 * SSE: the parser across every chunk boundary, line endings, comments, multi-line data
 * and retry; streamJob over nock, with resumption by Last-Event-ID after a cut.
 */
import { Readable } from "node:stream";
import nock from "nock";
import { JobsClient } from "../client/client.js";
import { isHttpError, isNotFoundError, isUnreachableError } from "../client/errors.js";
import { SseParser, type SseEvent } from "../client/sse-parser.js";
import type { Job } from "../api/index.js";
import { fakeJob } from "./helpers/job-fixture.js";

// nock patches Node's own http module, which every test file in this worker shares: take it off when this file ends.
afterAll(() => nock.restore());

function parseAll(chunks: string[]): { events: SseEvent[]; retries: number[]; comments: string[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = new SseParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms), onComment: (c) => comments.push(c) });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { events, retries, comments };
}

describe("SseParser", () => {
  const stream =
    "\uFEFFretry: 3000\r\n: jobgate stream for job_1\r\n\r\n" +
    'event: job\r\nid: 1\r\ndata: {"a":1}\r\n\r\n' +
    "event: job\nid: 2\ndata: line one\ndata: line two\n\n" +
    ": heartbeat\r\rdata:no space\rid:3\r\r" +
    "data\n\n" +
    "event: job\nid: 4\ndata: unterminated";
  const expected: SseEvent[] = [
    { event: "job", data: '{"a":1}', id: "1" },
    { event: "job", data: "line one\nline two", id: "2" },
    { event: "message", data: "no space", id: "3" },
    { event: "message", data: "", id: "3" },
  ];

  test("whole", () => {
    const { events, retries, comments } = parseAll([stream]);
    expect(events).toEqual(expected);
    expect(retries).toEqual([3000]);
    expect(comments).toEqual(["jobgate stream for job_1", "heartbeat"]);
  });

  test("split at every boundary into two chunks (CR and LF of one CRLF in different chunks included)", () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(parseAll([stream.slice(0, i), stream.slice(i)]).events).toEqual(expected);
    }
  });

  test("one character at a time", () => {
    expect(parseAll([...stream]).events).toEqual(expected);
  });

  test("an id carries over to later events; an id with NUL is ignored", () => {
    const { events } = parseAll(["id: 7\ndata: a\n\ndata: b\n\nid: x\0y\ndata: c\n\n"]);
    expect(events.map((e) => e.id)).toEqual(["7", "7", "7"]);
  });

  test("a malformed retry is ignored", () => {
    expect(parseAll(["retry: soon\nretry: 10\n\n"]).retries).toEqual([10]);
  });
});

describe("streamJob", () => {
  const API = "http://api.test";
  const client = () => new JobsClient({ apiUrl: API, token: "mfk_unit", retry: { minDelayMs: 10, maxDelayMs: 50 } });
  const job = fakeJob;
  const event = (j: Job, version: number) => `event: job\nid: ${version}\ndata: ${JSON.stringify(j)}\n\n`;
  const sse = { "Content-Type": "text/event-stream; charset=utf-8" };
  /** The body as chunks cut at awkward places (inside a field, inside the JSON, between CR and LF). */
  const chunked = (text: string, size: number) => () => Readable.from(text.match(new RegExp(`[\\s\\S]{1,${size}}`, "g")) ?? []);

  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  test("yields each state, across chunk boundaries, and ends after the terminal one", async () => {
    const body = "retry: 3000\n: hello\n\n" + event(job(1), 1) + ": heartbeat\n\n" + event(job(2), 2) + event(job(3, "succeeded"), 3);
    nock(API, { reqheaders: { accept: "text/event-stream", authorization: "Bearer mfk_unit" }, badheaders: ["last-event-id"] })
      .get("/v1/jobs/job_1/stream")
      .reply(200, chunked(body, 7), sse);
    const stream = client().streamJob("job_1");
    const seen: string[] = [];
    for await (const j of stream) seen.push(`${j.status}@${j.progress}`);
    expect(seen).toEqual(["running@0.1", "running@0.2", "succeeded@1"]);
    expect(stream.lastEventId).toBe("3");
  });

  test("a cut stream is reopened with Last-Event-ID, after the server's retry: delay", async () => {
    nock(API)
      .get("/v1/jobs/job_1/stream")
      .reply(200, chunked("retry: 200\n\n" + event(job(1), 1) + event(job(2), 2), 11), sse);
    const times: number[] = [performance.now()];
    nock(API, { reqheaders: { "last-event-id": "2" } })
      .get("/v1/jobs/job_1/stream")
      .reply(() => (times.push(performance.now()), [200, event(job(4, "succeeded"), 4), sse]));
    const seen: number[] = [];
    for await (const j of client().streamJob("job_1")) {
      seen.push(j.progress);
      if (seen.length === 2) times[0] = performance.now();
    }
    expect(seen).toEqual([0.1, 0.2, 1]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(150); // retry: 200 honoured (measured loosely)
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("lastEventId option resumes from there", async () => {
    nock(API, { reqheaders: { "last-event-id": "5" } })
      .get("/v1/jobs/job_1/stream")
      .reply(200, event(job(6, "succeeded"), 6), sse);
    const seen: Job[] = [];
    for await (const j of client().streamJob("job_1", { lastEventId: "5" })) seen.push(j);
    expect(seen.map((j) => j.status)).toEqual(["succeeded"]);
  });

  test("without reconnect, a cut is an UnreachableError", async () => {
    nock(API)
      .get("/v1/jobs/job_1/stream")
      .reply(200, event(job(1), 1), sse);
    const seen: Job[] = [];
    const error = await (async () => {
      for await (const j of client().streamJob("job_1", { reconnect: false })) seen.push(j);
    })().catch((e: unknown) => e);
    expect(seen).toHaveLength(1);
    expect(isUnreachableError(error)).toBe(true);
    expect((error as Error).message).toBe("the stream of job_1 was cut before the job finished");
  });

  test("a 404 before the stream starts is a NotFoundError (not retried)", async () => {
    nock(API)
      .get("/v1/jobs/job_1/stream")
      .reply(404, { error: { code: "not_found", message: "job job_1 not found" } });
    const error = await (async () => {
      for await (const _ of client().streamJob("job_1")) void _;
    })().catch((e: unknown) => e);
    expect(isNotFoundError(error)).toBe(true);
  });

  test("an event carrying another job's state is refused (invalid_response), not shown as this job's", async () => {
    const other = { ...job(2, "succeeded"), id: "job_2" };
    const scope = nock(API)
      .get("/v1/jobs/job_1/stream")
      .reply(200, event(job(1), 1) + event(other, 2), sse);
    const seen: Job[] = [];
    const error = await (async () => {
      for await (const j of client().streamJob("job_1")) seen.push(j);
    })().catch((e: unknown) => e);
    expect(seen.map((j) => j.id)).toEqual(["job_1"]);
    expect(isHttpError(error) && error.code).toBe("invalid_response");
    expect((error as Error).message).toBe('GET /v1/jobs/job_1/stream: unexpected answer (200): expected job job_1, got "job_2"');
    expect(scope.isDone()).toBe(true);
  });

  test("an event too large for a job stream is reported once, not reconnected to forever", async () => {
    const huge = `data: ${"x".repeat(5 * 1024 * 1024)}`;
    const scope = nock(API).get("/v1/jobs/job_1/stream").reply(200, huge, sse);
    const error = await (async () => {
      for await (const _ of client().streamJob("job_1")) void _;
    })().catch((e: unknown) => e);
    expect(isHttpError(error) && error.code).toBe("invalid_response");
    expect((error as Error).message).toMatch(/grew past 4194304 characters; this is not a job stream/);
    expect(scope.isDone()).toBe(true);
  });

  test("a silent stream counts as cut after idleTimeoutMs", async () => {
    nock(API)
      .get("/v1/jobs/job_1/stream")
      .reply(200, () => new Readable({ read() {} }), sse);
    const started = performance.now();
    const error = await (async () => {
      for await (const _ of client().streamJob("job_1", { reconnect: false, idleTimeoutMs: 300 })) void _;
    })().catch((e: unknown) => e);
    expect(isUnreachableError(error)).toBe(true);
    expect((error as Error).message).toMatch(/silent for 300ms/);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("SseParser limits and chunking", () => {
  test("an empty chunk between a CR and its LF does not end a line twice", async () => {
    const { SseParser } = await import("../client/sse-parser.js");
    const events: string[] = [];
    const parser = new SseParser({ onEvent: (event) => events.push(event.data) });
    parser.push("data: a\r");
    parser.push("");
    parser.push("\ndata: b\r\n\r\n");
    expect(events).toEqual(["a\nb"]);
  });

  test("an endless line is refused rather than buffered without bound", async () => {
    const { SseParser, SseLimitError, MAX_PENDING_CHARS } = await import("../client/sse-parser.js");
    const parser = new SseParser({ onEvent: () => undefined });
    const block = "x".repeat(1024 * 1024);
    expect(() => {
      for (let sent = 0; sent <= MAX_PENDING_CHARS; sent += block.length) parser.push(block);
    }).toThrow(SseLimitError);
  });
});
