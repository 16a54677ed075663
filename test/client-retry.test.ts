/**
 * Retries of the client: the schedule (pure arithmetic and as observed on the wire),
 * Retry-After, what is and is not retried, giving up, and the deadline winning.
 */
import nock from "nock";
import { backoffDelayMs, parseRetryAfterMs, retryDelayMs } from "../client/backoff.js";
import { JobsClient } from "../client/client.js";
import { isHttpError, isUnreachableError, isAuthError, isNotFoundError, type UnreachableError } from "../client/errors.js";
import type { Job } from "../api/index.js";
import { envelope, fakeJob } from "./helpers/job-fixture.js";

// nock patches Node's own http module, which every test file in this worker shares: take it off when this file ends.
afterAll(() => nock.restore());

const API = "http://api.test";
const TOKEN = "mfk_unit_secret_token";

const job = (version: number, status: Job["status"] = "running", progress = 0.5): Job => fakeJob(version, status, progress);

function client(retry = {}): JobsClient {
  return new JobsClient({ apiUrl: API, token: TOKEN, retry: { minDelayMs: 50, maxDelayMs: 400, ...retry } });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("the schedule (pure)", () => {
  const schedule = { minDelayMs: 500, maxDelayMs: 30_000, factor: 2 };

  test("grows exponentially and is jittered into [base/2, base]", () => {
    for (const [attempt, base] of [
      [1, 500],
      [2, 1000],
      [3, 2000],
      [4, 4000],
      [5, 8000],
      [6, 16_000],
    ] as const) {
      expect(backoffDelayMs(attempt, schedule, 0)).toBe(base / 2);
      expect(backoffDelayMs(attempt, schedule, 0.999_999)).toBe(base);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelayMs(attempt, schedule);
        expect(d).toBeGreaterThanOrEqual(base / 2);
        expect(d).toBeLessThanOrEqual(base);
      }
    }
  });

  test("is capped at maxDelayMs (~30 s)", () => {
    expect(backoffDelayMs(7, schedule, 0.999_999)).toBe(30_000);
    expect(backoffDelayMs(50, schedule, 0.999_999)).toBe(30_000);
    expect(backoffDelayMs(50, schedule, 0)).toBe(15_000);
  });

  test("Retry-After raises the delay; the deadline cuts it", () => {
    expect(retryDelayMs(1, schedule, 7000, Infinity, 0)).toBe(7000);
    expect(retryDelayMs(6, schedule, 1000, Infinity, 0.999_999)).toBe(16_000);
    expect(retryDelayMs(1, schedule, 7000, 1200, 0)).toBe(1200);
    expect(retryDelayMs(1, schedule, undefined, -5, 0)).toBe(0);
  });

  test("Retry-After is read as seconds or an HTTP date", () => {
    expect(parseRetryAfterMs("3")).toBe(3000);
    expect(parseRetryAfterMs(" 0 ")).toBe(0);
    const now = Date.parse("2026-06-24T00:00:00Z");
    expect(parseRetryAfterMs("Wed, 24 Jun 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfterMs("soon")).toBeUndefined();
    expect(parseRetryAfterMs(null)).toBeUndefined();
    expect(parseRetryAfterMs("999999")).toBe(5 * 60_000);
  });
});

describe("on the wire", () => {
  test("503, 429, 500 and network errors are retried with growing, jittered gaps", async () => {
    const times: number[] = [];
    const stamp = () => times.push(performance.now());
    nock(API)
      .get("/v1/jobs/job_1")
      .reply(() => (stamp(), [503, { error: { code: "unavailable", message: "later" } }]))
      .get("/v1/jobs/job_1")
      .reply(() => (stamp(), [429, { error: { code: "rate_limited", message: "slow down" } }]))
      .get("/v1/jobs/job_1")
      .reply(() => (stamp(), [500, "<html>oops</html>"]))
      .get("/v1/jobs/job_1")
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" })
      .get("/v1/jobs/job_1")
      .reply(() => (stamp(), [200, envelope(job(1)), { ETag: '"w/job-1"' }]));
    const result = await client().getJob("job_1");
    expect(result.notModified).toBe(false);
    expect(result.job?.id).toBe("job_1");
    expect(result.etag).toBe('"w/job-1"');
    expect(times).toHaveLength(4); // the ECONNRESET attempt is not stamped
    // Gaps: retry n waits at least base/2 = 25·2^(n-1) ms; never absurdly long.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25 - 2);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(50 - 2);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(100 + 200 - 4); // two retries: 100 + 200 at least
    expect(times[3]! - times[0]!).toBeLessThan(10_000);
  });

  test("Retry-After is honoured when longer than the backoff", async () => {
    const times: number[] = [];
    nock(API)
      .get("/v1/jobs/job_1")
      .reply(() => (times.push(performance.now()), [503, { error: { code: "unavailable", message: "later" } }, { "Retry-After": "1" }]))
      .get("/v1/jobs/job_1")
      .reply(() => (times.push(performance.now()), [200, envelope(job(1)), { ETag: '"w/job-1"' }]));
    await client().getJob("job_1");
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
  });

  test.each([
    [400, "invalid_request", isHttpError],
    [401, "unauthenticated", isAuthError],
    [403, "insufficient_scope", isAuthError],
    [404, "not_found", isNotFoundError],
    [409, "conflict", isHttpError],
  ] as const)("%i is not retried and throws its class with status, code and request id", async (status, code, guard) => {
    const scope = nock(API)
      .get("/v1/jobs/job_1")
      .reply(status, { error: { code, message: `the ${code} message` }, request_id: "req_body" }, { "X-Request-Id": "req_header" });
    const error = await client()
      .getJob("job_1")
      .catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(guard(error)).toBe(true);
    expect(error).toMatchObject({ status, code, requestId: "req_header" });
    expect((error as Error).message).toBe(`GET /v1/jobs/job_1: ${status} ${code}: the ${code} message`);
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("gives up after `retries` with an UnreachableError that keeps the last failure as its cause", async () => {
    nock(API)
      .get("/v1/jobs/job_1")
      .times(3)
      .reply(503, { error: { code: "unavailable", message: "down for maintenance" } });
    const error = (await client({ retries: 2 })
      .getJob("job_1")
      .catch((e: unknown) => e)) as UnreachableError;
    expect(isUnreachableError(error)).toBe(true);
    expect(error.message).toMatch(/could not be reached after 3 attempts.*503 unavailable: down for maintenance/);
    expect(isHttpError(error.cause)).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  test("a network error becomes an UnreachableError naming the cause, never the token", async () => {
    nock(API)
      .get("/v1/jobs/job_1")
      .times(2)
      .replyWithError({ code: "ECONNREFUSED", message: `connect ECONNREFUSED (${TOKEN})` });
    const error = (await client({ retries: 1 })
      .getJob("job_1")
      .catch((e: unknown) => e)) as UnreachableError;
    expect(isUnreachableError(error)).toBe(true);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).not.toContain(TOKEN);
    expect(error.cause).toBeDefined();
  });

  test("the total deadline wins over Retry-After and over the retry budget", async () => {
    nock(API)
      .get("/v1/jobs/job_1")
      .reply(503, { error: { code: "unavailable", message: "later" } }, { "Retry-After": "120" })
      .persist();
    const started = performance.now();
    const error = await client()
      .waitForJob("job_1", { timeout: 400 })
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(isUnreachableError(error)).toBe(true);
    expect((error as Error).message).toMatch(/unreachable when the 400ms timeout passed/);
  });

  test("a wait retries past the retry budget until its deadline (an outage does not end it)", async () => {
    let calls = 0;
    nock(API)
      .get("/v1/jobs/job_1")
      .times(8)
      .reply(() => (calls++, [503, { error: { code: "unavailable", message: "restarting" } }]));
    nock(API)
      .get("/v1/jobs/job_1")
      .reply(200, envelope(job(2, "succeeded")), { ETag: '"w/job-2"' });
    const done = await client({ retries: 1, minDelayMs: 5, maxDelayMs: 20 }).waitForJob("job_1", { timeout: 20_000 });
    expect(done.status).toBe("succeeded");
    expect(calls).toBe(8);
  });
});
