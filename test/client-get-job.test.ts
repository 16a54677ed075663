/**
 * getJob: headers sent, conditional GET, long-poll, and pacing of unchanged answers
 * (a 304 that comes back early is followed by a paced retry, never a spin).
 */
import nock from "nock";
import { JobsClient } from "../client/client.js";
import { isJobFailedError, isTimeoutError, type JobFailedError, type TimeoutError } from "../client/errors.js";
import { envelope, fakeJob } from "./helpers/job-fixture.js";

// nock patches Node's own http module, which every test file in this worker shares: take it off when this file ends.
afterAll(() => nock.restore());

const API = "http://api.test";
const TOKEN = "mfk_unit_token";

const job = fakeJob;
const client = () => new JobsClient({ apiUrl: API, token: TOKEN, forgeVersion: "2026-06-23", userAgent: "unit-test" });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

test("sends auth, version and user agent; returns job and ETag", async () => {
  nock(API, {
    reqheaders: { authorization: `Bearer ${TOKEN}`, "forge-version": "2026-06-23", "user-agent": "unit-test" },
    badheaders: ["if-none-match", "prefer"],
  })
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(1)), { ETag: '"w/job-1"' });
  await expect(client().getJob("job_1")).resolves.toEqual({ notModified: false, job: job(1), etag: '"w/job-1"' });
});

test("a conditional GET without wait answers notModified at once", async () => {
  nock(API, { reqheaders: { "if-none-match": '"w/job-1"' }, badheaders: ["prefer"] })
    .get("/v1/jobs/job_1")
    .reply(304, "", { ETag: '"w/job-1"' });
  await expect(client().getJob("job_1", { etag: '"w/job-1"' })).resolves.toEqual({ notModified: true, job: undefined, etag: '"w/job-1"' });
});

test("a long-poll asks Prefer: wait=N and returns the change", async () => {
  nock(API, { reqheaders: { "if-none-match": '"w/job-1"', prefer: "wait=20" } })
    .get("/v1/jobs/job_1")
    .delay(300)
    .reply(200, envelope(job(2)), { ETag: '"w/job-2"', "Preference-Applied": "wait=20" });
  const result = await client().getJob("job_1", { etag: '"w/job-1"', waitS: 20 });
  expect(result).toEqual({ notModified: false, job: job(2), etag: '"w/job-2"' });
});

test("a held request is allowed to last longer than its hold (timeout = hold + grace)", async () => {
  nock(API).get("/v1/jobs/job_1").delay(1_500).reply(304, "", { ETag: '"w/job-1"', "Preference-Applied": "wait=1" });
  const result = await client().getJob("job_1", { etag: '"w/job-1"', waitS: 1 });
  expect(result.notModified).toBe(true);
});

test("early 304s (a proxy that strips Prefer) are paced by Retry-After, not spun", async () => {
  const times: number[] = [];
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(() => (times.push(performance.now()), [304, "", { ETag: '"w/job-1"', "Retry-After": "1" }]))
    .persist();
  const started = performance.now();
  const result = await client().getJob("job_1", { etag: '"w/job-1"', waitS: 3 });
  expect(result.notModified).toBe(true);
  expect(performance.now() - started).toBeGreaterThanOrEqual(2_800);
  // One request per poll hint (1 s) over 3 s: 3 or 4, never dozens.
  expect(times.length).toBeGreaterThanOrEqual(2);
  expect(times.length).toBeLessThanOrEqual(4);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);
});

test("a 200 carrying the same ETag (If-None-Match dropped on the way) counts as unchanged and is paced", async () => {
  const times: number[] = [];
  nock(API)
    .get("/v1/jobs/job_1")
    .times(2)
    .reply(() => (times.push(performance.now()), [200, envelope(job(1)), { ETag: 'W/"w/job-1"', "Retry-After": "1" }]));
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(() => (times.push(performance.now()), [200, envelope(job(2)), { ETag: '"w/job-2"' }]));
  const result = await client().getJob("job_1", { etag: '"w/job-1"', waitS: 10 });
  expect(result).toEqual({ notModified: false, job: job(2), etag: '"w/job-2"' });
  expect(times).toHaveLength(3);
  expect(times[2]! - times[0]!).toBeGreaterThanOrEqual(1_900);
});

test("waitForJob re-polls at once after a change, and reports every state", async () => {
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(1)), { ETag: '"w/job-1"' });
  nock(API, { reqheaders: { "if-none-match": '"w/job-1"' } })
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(2)), { ETag: '"w/job-2"' });
  nock(API, { reqheaders: { "if-none-match": '"w/job-2"' } })
    .get("/v1/jobs/job_1")
    .reply(304, "", { ETag: '"w/job-2"', "Preference-Applied": "wait=60" });
  nock(API, { reqheaders: { "if-none-match": '"w/job-2"' } })
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(3, "succeeded")), { ETag: '"w/job-3"' });
  const seen: string[] = [];
  const started = performance.now();
  const done = await client().waitForJob("job_1", { timeout: "1m", onProgress: (j) => seen.push(`${j.status}@${j.progress}`) });
  expect(done.status).toBe("succeeded");
  expect(seen).toEqual(["running@0.1", "running@0.2", "succeeded@1"]);
  // The 304 above came back early (no hold): the next poll waited for the pace (1 s).
  expect(performance.now() - started).toBeGreaterThanOrEqual(990);
});

test("a caller's abort ends a wait with the caller's reason", async () => {
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(1)), { ETag: '"w/job-1"' });
  nock(API).get("/v1/jobs/job_1").delay(1_000).reply(304, "");
  const controller = new AbortController();
  const waiting = client().waitForJob("job_1", { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("stop it")), 100);
  await expect(waiting).rejects.toThrow("stop it");
});

test("waitForJob throws JobFailedError carrying the job's error", async () => {
  const failed = { ...job(2, "failed"), error: { code: "deploy_failed", message: "quota exceeded" } };
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(1)), { ETag: '"w/job-1"' });
  nock(API).get("/v1/jobs/job_1").reply(200, envelope(failed), { ETag: '"w/job-2"' });
  const error = await client()
    .waitForJob("job_1")
    .catch((e: unknown) => e);
  expect(isJobFailedError(error)).toBe(true);
  expect((error as JobFailedError).jobError).toEqual({ code: "deploy_failed", message: "quota exceeded" });
  expect((error as Error).message).toBe("job job_1 failed: deploy_failed: quota exceeded");
});

test("waitForJob throws TimeoutError with the last state when the deadline passes during a hold", async () => {
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(200, envelope(job(3)), { ETag: '"w/job-3"' });
  nock(API).get("/v1/jobs/job_1").delay(1_000).reply(304, "", { ETag: '"w/job-3"' });
  const started = performance.now();
  const error = await client()
    .waitForJob("job_1", { timeout: "300ms" })
    .catch((e: unknown) => e);
  expect(isTimeoutError(error)).toBe(true);
  expect((error as TimeoutError).lastJob).toEqual(job(3));
  expect((error as Error).message).toBe("timed out after 300ms waiting for job_1; last state: running 30%");
  expect(performance.now() - started).toBeLessThan(3_000);
});
