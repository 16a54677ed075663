/** listJobs over every page, and call() for operations that answer 202. */
import nock from "nock";
import { JobsClient } from "../client/client.js";
import { isConfigError, isHttpError } from "../client/errors.js";
import type { Job } from "../api/index.js";

// nock patches Node's own http module, which every test file in this worker shares: take it off when this file ends.
afterAll(() => nock.restore());

const API = "http://api.test";
const client = () => new JobsClient({ apiUrl: API, token: "mfk_unit", retry: { minDelayMs: 10, maxDelayMs: 50 } });
const job = (n: number): Job => ({
  id: `job_${n}`,
  type: "deployment.deploy",
  status: "queued",
  progress: 0,
  created_at: "2026-06-24T01:02:00.110Z",
  resource: { type: "deployment", id: "site_1", site_id: "site_1" },
  result: null,
  error: null,
  links: { self: `/v1/jobs/job_${n}`, stream: `/v1/jobs/job_${n}/stream` },
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

test("listJobs follows next_cursor through every page, keeping the filters", async () => {
  nock(API)
    .get("/v1/jobs")
    .query({ status: "queued", resource_type: "deployment", limit: "2" })
    .reply(200, { data: [job(5), job(4)], next_cursor: "c1" });
  nock(API)
    .get("/v1/jobs")
    .query({ status: "queued", resource_type: "deployment", limit: "2", cursor: "c1" })
    .reply(503, { error: { code: "unavailable", message: "x" } });
  nock(API)
    .get("/v1/jobs")
    .query({ status: "queued", resource_type: "deployment", limit: "2", cursor: "c1" })
    .reply(200, { data: [job(3), job(2)], next_cursor: "c2" });
  nock(API)
    .get("/v1/jobs")
    .query({ status: "queued", resource_type: "deployment", limit: "2", cursor: "c2" })
    .reply(200, { data: [job(1)], next_cursor: null });
  const ids: string[] = [];
  for await (const j of client().listJobs({ status: "queued", resourceType: "deployment", limit: 2 })) ids.push(j.id);
  expect(ids).toEqual(["job_5", "job_4", "job_3", "job_2", "job_1"]);
  expect(nock.pendingMocks()).toEqual([]);
});

test("listJobsPage returns one page and its cursor", async () => {
  nock(API)
    .get("/v1/jobs")
    .reply(200, { data: [job(1)], next_cursor: "abc", request_id: "req_1" });
  await expect(client().listJobsPage()).resolves.toEqual({ jobs: [job(1)], nextCursor: "abc" });
});

test("a 400 invalid_cursor is not retried", async () => {
  nock(API)
    .get("/v1/jobs")
    .query({ cursor: "bad" })
    .reply(400, { error: { code: "invalid_cursor", message: "cursor is not valid" } });
  const error = await client()
    .listJobsPage({ cursor: "bad" })
    .catch((e: unknown) => e);
  expect(isHttpError(error) && error.code).toBe("invalid_cursor");
});

test("call sends the body with an Idempotency-Key and returns the job and Location", async () => {
  nock(API, { reqheaders: { "idempotency-key": "deploy-abc", "content-type": "application/json" } })
    .post("/v1/sites/site_1/deploys", { duration_ms: 100 })
    .reply(202, { data: job(7), request_id: "req_1" }, { Location: "/v1/jobs/job_7" });
  const result = await client().call("post", "/v1/sites/site_1/deploys", { duration_ms: 100 }, { idempotencyKey: "deploy-abc" });
  expect(result).toEqual({ job: job(7), location: "/v1/jobs/job_7", status: 202, idempotencyKey: "deploy-abc" });
});

test("call generates one Idempotency-Key and keeps it across its own retries", async () => {
  const keys: string[] = [];
  nock(API)
    .post("/v1/sites/site_1/builds")
    .times(2)
    .reply(function () {
      keys.push(String(this.req.headers["idempotency-key"]));
      return keys.length === 1 ? [503, { error: { code: "unavailable", message: "x" } }] : [202, { data: job(8) }, { Location: "/v1/jobs/job_8" }];
    });
  const result = await client().call("POST", "/v1/sites/site_1/builds");
  expect(result.job.id).toBe("job_8");
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^jobgate-[0-9a-f-]{36}$/);
  expect(keys[1]).toBe(keys[0]);
});

test.each([
  ["POST", "https://evil.test/steal", 'path must be a path on the API starting with "/"'],
  ["POST", "//evil.test/x", 'path must be a path on the API starting with "/"'],
  ["P OST", "/v1/x", "method must be an HTTP method such as POST"],
])("call(%j, %j) is refused before sending anything", async (method, path, message) => {
  const error = await client()
    .call(method, path)
    .catch((e: unknown) => e);
  expect(isConfigError(error)).toBe(true);
  expect((error as Error).message).toContain(message);
});

test("an answer that is not a job envelope is an invalid_response HttpError", async () => {
  nock(API).post("/v1/x").reply(202, "<html>proxy</html>");
  const error = await client()
    .call("POST", "/v1/x")
    .catch((e: unknown) => e);
  expect(isHttpError(error) && error.code).toBe("invalid_response");
});

test("a redirect is reported, never followed (the token stays with apiUrl)", async () => {
  const elsewhere = nock("http://elsewhere.test").get("/v1/jobs/job_1").reply(200, {});
  nock(API).get("/v1/jobs/job_1").reply(301, "", { Location: "http://elsewhere.test/v1/jobs/job_1" });
  const error = await client()
    .getJob("job_1")
    .catch((e: unknown) => e);
  expect(isHttpError(error) && error.status).toBe(301);
  expect((error as Error).message).toBe(
    "GET /v1/jobs/job_1: 301 redirect to http://elsewhere.test/v1/jobs/job_1; redirects are not followed: set apiUrl (JOBGATE_API_URL) to the API's final address",
  );
  expect(elsewhere.isDone()).toBe(false);
});

test("an answer about another job than the one asked for is refused", async () => {
  nock(API)
    .get("/v1/jobs/job_1")
    .reply(200, { data: job(2) }, { ETag: '"w/job-1"' });
  const error = await client()
    .getJob("job_1")
    .catch((e: unknown) => e);
  expect(isHttpError(error) && error.code).toBe("invalid_response");
});
