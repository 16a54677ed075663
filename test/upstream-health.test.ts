/**
 * Proxy mode's view of its upstream (spec §7): a buffered SSE remembered for every watch
 * (tried again by one watch at a time, at most every retry period), and each change —
 * falling back, unreachable, back — logged once at info, not once per request.
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { UnreachableError, HttpError } from "../client/errors.js";
import { UpstreamHealth } from "../proxy/upstream/upstream-health.js";

function capture(): { lines: () => { level: number; msg: string }[]; logger: Logger } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.push(
        ...chunk
          .toString()
          .split("\n")
          .filter((l) => l !== ""),
      );
      done();
    },
  });
  return { lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }), logger: pino({ level: "info" }, sink) };
}

test("a buffered SSE is remembered: watches long-poll; after the retry period one watch tries SSE again", async () => {
  const { lines, logger } = capture();
  const health = new UpstreamHealth("https://api.example.com", logger, 50);
  expect(health.tryStream()).toBe(true);
  health.streamBuffered(5_000);
  health.streamBuffered(5_000);
  expect(health.tryStream()).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(health.tryStream()).toBe(true); // one probe…
  expect(health.tryStream()).toBe(false); // …at a time
  health.streamWorks();
  expect(health.tryStream()).toBe(true);
  expect(lines().map((l) => [l.level, l.msg])).toEqual([
    [30, "upstream SSE is buffered (no byte within 5s); watches long-poll it instead, SSE is tried again every 50ms"],
    [30, "upstream SSE works again; watches stream it"],
  ]);
});

test("a probe that never reports back (its request failed, or its watch stopped) does not keep SSE off: the next pause grants another", async () => {
  const { logger } = capture();
  const health = new UpstreamHealth("https://api.example.com", logger, 50);
  health.streamBuffered(5_000);
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(health.tryStream()).toBe(true); // the probe, which then fails without a word
  expect(health.tryStream()).toBe(false);
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(health.tryStream()).toBe(true);
});

test("unreachable and back are each logged once; a 4xx is an answer, not an outage", () => {
  const { lines, logger } = capture();
  const health = new UpstreamHealth("https://api.example.com", logger);
  health.reached();
  health.failed(new UnreachableError("GET https://api.example.com/v1/jobs/j: ECONNREFUSED"));
  health.failed(new HttpError("503", { status: 503, code: "http_503", requestId: undefined }));
  health.failed(new HttpError("404", { status: 404, code: "not_found", requestId: undefined }));
  health.reached();
  expect(lines().map((l) => l.msg)).toEqual(["upstream unreachable; answering 503 with Retry-After and retrying with backoff", "upstream reachable again"]);
});
