/** GET /v1/jobs/{id}: the envelope, the ETag and If-None-Match (spec §3–4, RFC 9110 §13.1.2). */
import { etagOf, ifNoneMatchMatches } from "../api/etag.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
beforeAll(async () => {
  api = await startTestServer();
});
afterAll(() => api.close());

test("200 carries the exact envelope, a version ETag and the caching headers", async () => {
  const job = await api.publish({ resource: { type: "deployment", site_id: "site_1", env_id: "env_9" } });
  const res = await api.request(`/v1/jobs/${job.id}`);
  expect(res.status).toBe(200);
  expect(Object.keys(res.json)).toEqual(["data", "request_id"]);
  expect(Object.keys(res.json.data)).toEqual(["id", "type", "status", "progress", "created_at", "resource", "result", "error", "links"]);
  expect(res.json.data).toEqual({
    id: job.id,
    type: "deployment.deploy",
    status: "queued",
    progress: 0,
    created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    resource: { type: "deployment", id: "env_9", site_id: "site_1", env_id: "env_9" },
    result: null,
    error: null,
    links: { self: `/v1/jobs/${job.id}`, stream: `/v1/jobs/${job.id}/stream` },
  });
  expect(job.id).toMatch(/^job_[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(res.headers.get("etag")).toBe('"w/job-1"');
  expect(res.headers.get("cache-control")).toBe("private, no-cache");
  expect(res.headers.get("vary")).toBe("Prefer");
  expect(res.headers.get("retry-after")).toBe("2");
});

test("the ETag follows the version, and a terminal job carries no poll hint", async () => {
  const job = await api.publish();
  await api.patch(job.id, { status: "running" });
  await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_1" } });
  const res = await api.request(`/v1/jobs/${job.id}`);
  expect(res.headers.get("etag")).toBe('"w/job-3"');
  expect(res.json.data).toMatchObject({ status: "succeeded", progress: 1, result: { release_id: "rel_1" } });
  expect(res.headers.get("retry-after")).toBeNull();
});

test.each([['"w/job-1"'], ['W/"w/job-1"'], ['"w/job-9", "w/job-1"'], ['"other",W/"w/job-1"'], ["*"]])(
  "If-None-Match %s matches version 1 → 304 with the ETag and no body",
  async (inm) => {
    const job = await api.publish();
    const res = await api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": inm } });
    expect(res.status).toBe(304);
    expect(res.text).toBe("");
    expect(res.headers.get("etag")).toBe('"w/job-1"');
    expect(res.headers.get("vary")).toBe("Prefer");
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
  },
);

test.each([['"w/job-2"'], ['"job-1"'], ["w/job-1"], ['"w/job-10"'], ['"w/job-1']])("If-None-Match %s does not match version 1 → 200", async (inm) => {
  const job = await api.publish();
  const res = await api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": inm } });
  expect(res.status).toBe(200);
});

test("a request Cache-Control: no-cache does not defeat the 304", async () => {
  const job = await api.publish();
  const res = await api.request(`/v1/jobs/${job.id}`, { headers: { "if-none-match": '"w/job-1"', "cache-control": "no-cache", pragma: "no-cache" } });
  expect(res.status).toBe(304);
});

test("a missing job is 404 before any precondition, even If-None-Match: *", async () => {
  const res = await api.request("/v1/jobs/job_01J00000000000000000000000", { headers: { "if-none-match": "*" } });
  expect(res.status).toBe(404);
});

test("the matcher handles commas inside entity-tags and garbage members", () => {
  expect(ifNoneMatchMatches('"a,b", "w/job-4"', etagOf(4))).toBe(true);
  expect(ifNoneMatchMatches('junk, W/"w/job-4"', etagOf(4))).toBe(true);
  expect(ifNoneMatchMatches('"w/job-4', etagOf(4))).toBe(false);
  expect(ifNoneMatchMatches("", etagOf(4))).toBe(false);
  expect(ifNoneMatchMatches('"w/job-44"', etagOf(4))).toBe(false);
});

test("the poll hint rises under load and is capped", async () => {
  const { pollHintSeconds } = await import("../proxy/routes/get-job.js");
  expect(pollHintSeconds(2, 0)).toBe(2);
  expect(pollHintSeconds(2, 999)).toBe(2);
  expect(pollHintSeconds(2, 1000)).toBe(4);
  expect(pollHintSeconds(2, 5000)).toBe(12);
  expect(pollHintSeconds(2, 1_000_000)).toBe(30);
});
