/** Rules every endpoint shares (spec §2): versioning, request ids, the error envelope, bodies. */
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

let api: TestServer;
let jobId: string;
beforeAll(async () => {
  api = await startTestServer();
  jobId = (await api.publish()).id;
});
afterAll(() => api.close());

const REQUEST_ID = /^req_[0-9A-HJKMNP-TV-Z]{26}$/;

test("every response echoes the Forge-Version used; missing means the latest", async () => {
  for (const path of ["/v1/jobs", `/v1/jobs/${jobId}`, "/nope", "/healthz"]) {
    const res = await api.request(path);
    expect(res.headers.get("forge-version")).toBe("2026-06-23");
    const explicit = await api.request(path, { headers: { "forge-version": "2026-06-23" } });
    expect(explicit.headers.get("forge-version")).toBe("2026-06-23");
  }
});

test("an unknown Forge-Version is 400 unsupported_version, checked before auth, echoing the latest", async () => {
  for (const path of ["/v1/jobs", `/v1/jobs/${jobId}`, `/v1/jobs/${jobId}/stream`, "/internal/v1/jobs"]) {
    const res = await api.request(path, { token: null, headers: { "forge-version": "2020-01-01" } });
    expect(res.status).toBe(400);
    expect(res.headers.get("forge-version")).toBe("2026-06-23");
    expect(res.json.error).toEqual({
      code: "unsupported_version",
      message: 'Forge-Version "2020-01-01" is not supported; supported: 2026-06-23',
    });
  }
});

test("X-Request-Id is a fresh req_<ULID> and equals the body's request_id", async () => {
  const seen = new Set<string>();
  for (const path of ["/v1/jobs", `/v1/jobs/${jobId}`, "/nope", `/v1/jobs/job_nope`]) {
    const res = await api.request(path);
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(REQUEST_ID);
    expect(res.json.request_id).toBe(id);
    seen.add(id);
  }
  expect(seen.size).toBe(4);
  const notModified = await api.request(`/v1/jobs/${jobId}`, { headers: { "if-none-match": '"w/job-1"' } });
  expect(notModified.status).toBe(304);
  expect(notModified.headers.get("x-request-id")).toMatch(REQUEST_ID);
});

test("unknown routes are JSON 404s, never HTML", async () => {
  for (const [method, path] of [
    ["GET", "/"],
    ["GET", "/v2/jobs"],
    ["POST", "/v1/nothing"],
    ["GET", "/v1/jobs/a/b/c"],
  ]) {
    const res = await api.request(path!, { method: method! });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.json.error).toEqual({ code: "not_found", message: `no route for ${method} ${path}` });
  }
});

test("a path that is not valid percent-encoding is a JSON 404, not a 500", async () => {
  for (const [method, path] of [
    ["GET", "/v1/jobs/%ZZ/stream"],
    ["PATCH", "/internal/v1/jobs/%ZZ"],
    ["GET", "/v1/jobs/%ZZ"],
  ] as const) {
    const res = await api.request(path, { method, ...(method === "PATCH" ? { body: { progress: 0.5 } } : {}) });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("not_found");
  }
});

test("a known path with the wrong method is 405 with Allow", async () => {
  const cases = [
    ["DELETE", `/v1/jobs/${jobId}`, "GET, HEAD"],
    ["POST", "/v1/jobs", "GET, HEAD"],
    ["GET", "/internal/v1/jobs", "POST"],
    ["PUT", `/internal/v1/jobs/${jobId}`, "PATCH"],
    ["GET", "/v1/sites/site_1/deploys", "POST"],
  ] as const;
  for (const [method, path, allow] of cases) {
    const res = await api.request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.json.error.code).toBe("method_not_allowed");
  }
});

test("a malformed JSON body is 400 invalid_request", async () => {
  const res = await api.request("/internal/v1/jobs", { method: "POST", body: '{"type": ' });
  expect(res.status).toBe(400);
  expect(res.json.error).toEqual({ code: "invalid_request", message: "the body is not valid JSON" });
});

test("a body over 1 MiB is 413 payload_too_large", async () => {
  const big = JSON.stringify({ type: "deployment.deploy", padding: "x".repeat(1024 * 1024) });
  const res = await api.request("/internal/v1/jobs", { method: "POST", body: big });
  expect(res.status).toBe(413);
  expect(res.json.error.code).toBe("payload_too_large");
  const justUnder = await api.request(`/internal/v1/jobs/${jobId}`, {
    method: "PATCH",
    body: JSON.stringify({ progress: 0.1 }).padEnd(1024 * 1024 - 10, " "),
  });
  expect(justUnder.status).toBe(200);
});

test("unknown query parameters are ignored", async () => {
  expect((await api.request("/v1/jobs?colour=blue")).status).toBe(200);
  expect((await api.request(`/v1/jobs/${jobId}?colour=blue`)).status).toBe(200);
});

test("HEAD on a job answers the GET's headers without a body", async () => {
  const res = await api.request(`/v1/jobs/${jobId}`, { method: "HEAD", token: TOKENS.reader });
  expect(res.status).toBe(200);
  expect(res.headers.get("etag")).toMatch(/^"w\/job-\d+"$/);
  expect(res.text).toBe("");
});
