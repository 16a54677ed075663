/**
 * Real answers of every route, in both modes, checked against docs/openapi.yaml: status,
 * headers and body of each (test/helpers/openapi.ts). The suite ends by listing every
 * documented answer it never produced, so a status added to the document without a test
 * (or to the server without the document) fails here. Also: the routes the server answers
 * are exactly the document's paths, and the document's patterns, enums and limits are the
 * contract's constants (api/).
 */
import { createServer, METHODS, type Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import {
  DEFAULT_PAGE_SIZE,
  DEFAULT_TEAM,
  ERROR_CODE_PATTERN,
  ERROR_CODES,
  ERROR_STATUS,
  etagOf,
  IDEMPOTENCY_KEY_PATTERN,
  IDENTIFIER_PATTERN,
  JOB_ID_PATTERN,
  JOB_STATUSES,
  JOB_TYPE_PATTERN,
  MAX_BODY_BYTES,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_OPERATION_DURATION_MS,
  MAX_PAGE_SIZE,
  RESOURCE_TYPE_PATTERN,
  SCOPES,
  SSE_RETRY_MS,
  SUPPORTED_VERSIONS,
  ULID_PATTERN,
  versionOfEtag,
} from "../api/index.js";
import { createApp, READ_PATHS } from "../proxy/http/app.js";
import { createModeDeps, type ModeDeps, type ServeMode } from "../proxy/mode.js";
import { normalizeServeOptions } from "../proxy/serve-options.js";
import { createStandaloneMode } from "../proxy/standalone/standalone-mode.js";
import { MemoryJobStore } from "../proxy/store/memory.js";
import { KeyRing } from "../proxy/tenancy/keys.js";
import { newJobId } from "../proxy/ulid.js";
import { createProxyMode } from "../proxy/upstream/proxy-mode.js";
import { TEST_KEYS, TOKENS } from "./helpers/keys.js";
import { methodNotAllowed, observe, OpenApiDocument, UNKNOWN_ROUTE, type Mode } from "./helpers/openapi.js";
import { startTestProxy, startTestServer, type RequestOptions, type TestResponse, type TestServer } from "./helpers/server.js";

const doc = new OpenApiDocument();
const JOB = "/v1/jobs/{jobID}";
const STREAM = "/v1/jobs/{jobID}/stream";
const PUBLISH = "/internal/v1/jobs";
const PATCH = "/internal/v1/jobs/{jobID}";
const OPERATIONS = ["/v1/sites/{site_id}/deploys", "/v1/sites/{site_id}/environments/{env_id}/deploys", "/v1/sites/{site_id}/builds"] as const;
/** A key pinned to site_2 that may run operations: site_1 is outside its pins. */
const SITE2_OPERATOR = "mfk_test_site2_operator";
const MISSING_JOB = "job_01JAAAAAAAAAAAAAAAAAAAAAAA";

/**
 * Documented answers no test here produces, each with the reason. The last test fails on
 * a documented answer missing from both the tests and this list, and on an entry here
 * that a test does produce (then the entry is stale).
 */
const NOT_PRODUCED = new Map<string, string>();
for (const [method, route, operation] of doc.operations()) {
  const at = `${method} ${route}`;
  NOT_PRODUCED.set(`${at} 500`, "an internal error needs a fault injected into our own code");
  NOT_PRODUCED.set(`${at} 408`, "a slow client's 408 comes from Node's parser before any route: test/request-limits.test.ts");
  if (at !== "GET /v1/jobs") NOT_PRODUCED.set(`${at} 431`, "answered by Node's parser before any route: checked once, on GET /v1/jobs");
  if (route === PATCH) NOT_PRODUCED.set(`${at} 503`, "only a networked store can be unreachable; the memory store always answers");
  if ([PUBLISH, ...OPERATIONS].includes(route) && "429" in operation.responses) {
    NOT_PRODUCED.set(`${at} 429`, "an account past --max-account-jobs: test/tenant-fairness.test.ts");
  }
}

const standaloneKeys = (): KeyRing =>
  KeyRing.fromJson(
    { keys: [...TEST_KEYS.keys, { token: SITE2_OPERATOR, account: "acct_1", scopes: ["deploys:write", "builds:write"], site_id: "site_2" }] },
    "conformance keys",
  );

/** Checks one answer against the document and hands it back for the test's own assertions. */
function conforms(method: string, route: string, res: TestResponse, mode: Mode = "standalone"): TestResponse {
  doc.assertConforms(observe(method, route, res, mode));
  return res;
}

/** A request whose answer must conform; `route` is the document's template for `path`. */
async function call(api: TestServer, route: string, path: string, init: RequestOptions = {}, mode: Mode = "standalone"): Promise<TestResponse> {
  return conforms(init.method ?? "GET", route, await api.request(path, init), mode);
}

/** The whole body of a stream the server ends (a finished job's), checked as an event stream. */
async function readStream(api: TestServer, path: string, headers: Record<string, string> = {}, mode: Mode = "standalone"): Promise<TestResponse> {
  return call(api, STREAM, path, { token: TOKENS.reader, headers }, mode);
}

const errorOf = (res: TestResponse) => res.json.error as { code: string; message: string };

describe("standalone mode", () => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startTestServer({ heartbeatMs: 60_000, operationDurationMs: 60_000 }, { keys: standaloneKeys() });
  });
  afterAll(() => api.close());

  describe("GET /v1/jobs", () => {
    test("200: pages of the caller's jobs, newest first, next_cursor until the last page", async () => {
      const jobs = [await api.publish(), await api.publish(), await api.publish({ resource: { type: "build", site_id: "site_1" } })];
      const first = await call(api, "/v1/jobs", "/v1/jobs?limit=2", { token: TOKENS.reader });
      expect(first.status).toBe(200);
      expect(first.json.data.map((job: { id: string }) => job.id)).toEqual([jobs[2]!.id, jobs[1]!.id]);
      expect(first.json.next_cursor).toEqual(expect.any(String));
      const next = await call(api, "/v1/jobs", `/v1/jobs?limit=2&cursor=${encodeURIComponent(first.json.next_cursor)}`, { token: TOKENS.reader });
      expect(next.json.data[0].id).toBe(jobs[0]!.id);
      const filtered = await call(api, "/v1/jobs", "/v1/jobs?status=queued&resource_type=build&unknown=ignored", { token: TOKENS.reader });
      expect(filtered.json).toMatchObject({ data: [{ id: jobs[2]!.id }], next_cursor: null });
      await call(api, "/v1/jobs", "/v1/jobs", { method: "HEAD", token: TOKENS.reader });
    });

    test("400 naming the parameter, invalid_cursor, unsupported_version; 401; 403", async () => {
      const bad = async (query: string, code: string, message: string | RegExp, headers: Record<string, string> = {}) => {
        const res = await call(api, "/v1/jobs", `/v1/jobs${query}`, { token: TOKENS.reader, headers });
        expect([res.status, errorOf(res).code]).toEqual([400, code]);
        expect(errorOf(res).message).toMatch(message);
      };
      await bad("?status=done", "invalid_request", "status must be one of queued, running, succeeded, failed");
      await bad("?resource_type=Deployment", "invalid_request", /^resource_type must be a lowercase identifier/);
      await bad("?limit=101", "invalid_request", `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
      await bad("?status=queued&status=running", "invalid_request", "query parameter status must be given once, as a plain value");
      await bad("?cursor=abc.def", "invalid_cursor", "cursor is not one this server issued for these filters; start again without a cursor");
      await bad("", "unsupported_version", 'Forge-Version "2020-01-01" is not supported; supported: 2026-06-23', { "forge-version": "2020-01-01" });

      const anonymous = await call(api, "/v1/jobs", "/v1/jobs", { token: null });
      expect([anonymous.status, errorOf(anonymous).message]).toEqual([401, "missing Authorization: Bearer <token> header"]);
      const unknown = await call(api, "/v1/jobs", "/v1/jobs", { token: "mfk_not_a_key_of_ours" });
      expect([unknown.status, errorOf(unknown).message]).toEqual([401, "the bearer token is not valid for this server"]);
      const forbidden = await call(api, "/v1/jobs", "/v1/jobs", { token: TOKENS.publisher });
      expect([forbidden.status, errorOf(forbidden).message]).toEqual([403, "this key lacks the jobs:read scope"]);
    });
  });

  describe("GET|HEAD /v1/jobs/{jobID}", () => {
    for (const method of ["GET", "HEAD"]) {
      test(`${method}: 200 with ETag and a poll hint while unfinished, 304 on If-None-Match, none once finished`, async () => {
        const job = await api.publish();
        const path = `/v1/jobs/${job.id}`;
        const fresh = await call(api, JOB, path, { method, token: TOKENS.reader });
        expect([fresh.status, fresh.headers.get("etag"), fresh.headers.get("retry-after")]).toEqual([200, '"w/job-1"', "2"]);
        if (method === "GET") expect(fresh.json.data).toEqual(job);
        for (const tag of ['"w/job-1"', 'W/"w/job-1"', '"w/job-0", "w/job-1"', "*"]) {
          const same = await call(api, JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": tag, "cache-control": "no-cache" } });
          expect([tag, same.status]).toEqual([tag, 304]);
        }
        await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_1" } });
        const done = await call(api, JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=5" } });
        expect([done.status, done.headers.get("etag"), done.headers.get("retry-after"), done.headers.get("preference-applied")]).toEqual([
          200,
          '"w/job-2"',
          null,
          null,
        ]);
        const finished = await call(api, JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-2"', prefer: "wait=5" } });
        expect([finished.status, finished.headers.get("preference-applied")]).toEqual([304, null]); // a finished job is not held
      });

      test(`${method}: a held request answers 304 with Preference-Applied when its wait elapses, 200 when the job changes`, async () => {
        const job = await api.publish();
        const path = `/v1/jobs/${job.id}`;
        const started = Date.now();
        const elapsed = await call(api, JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=1" } });
        expect([elapsed.status, elapsed.headers.get("preference-applied")]).toEqual([304, "wait=1"]);
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);

        const held = call(api, JOB, `${path}?wait=10`, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=1" } });
        await untilHeld(api, 1);
        await api.patch(job.id, { status: "running", progress: 0.5 });
        const changed = await held;
        expect([changed.status, changed.headers.get("etag"), changed.headers.get("preference-applied")]).toEqual([200, '"w/job-2"', "wait=10"]);
        if (method === "GET") expect(changed.json.data).toMatchObject({ status: "running", progress: 0.5 });
      });

      test(`${method}: 400 (wait, version), 401, 403, 404 for a missing or invisible job — each with Vary: Prefer`, async () => {
        const job = await api.publish();
        const path = `/v1/jobs/${job.id}`;
        const badWait = await call(api, JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=soon" } });
        expect(badWait.status).toBe(400);
        const badQuery = await call(api, JOB, `${path}?wait=-1`, { method, token: TOKENS.reader });
        expect(badQuery.status).toBe(400);
        const badVersion = await call(api, JOB, path, { method, token: TOKENS.reader, headers: { "forge-version": "2020-01-01" } });
        expect([badVersion.status, badVersion.headers.get("forge-version")]).toEqual([400, SUPPORTED_VERSIONS.at(-1)]);
        expect((await call(api, JOB, path, { method, token: null })).status).toBe(401);
        expect((await call(api, JOB, path, { method, token: TOKENS.publisher })).status).toBe(403);
        expect((await call(api, JOB, `/v1/jobs/${MISSING_JOB}`, { method, token: TOKENS.reader })).status).toBe(404);
        const invisible = await call(api, JOB, path, { method, token: TOKENS.other, headers: { "if-none-match": '"w/job-1"', prefer: "wait=5" } });
        expect(invisible.status).toBe(404); // never 304, never held
        if (method === "GET") {
          expect(errorOf(badWait).message).toBe('Prefer: wait must be a whole number of seconds (e.g. 30), got "soon"');
          expect(errorOf(badQuery).message).toBe('query parameter wait must be a whole number of seconds (e.g. 30), got "-1"');
          expect(errorOf(invisible)).toEqual({ code: "not_found", message: `job ${job.id} not found` });
        }
      });
    }
  });

  describe("GET /v1/jobs/{jobID}/stream", () => {
    test("200: retry and a comment at once, one event per change, ended after the terminal event", async () => {
      const job = await api.publish();
      const res = await fetch(`${api.url}/v1/jobs/${job.id}/stream`, { headers: { authorization: `Bearer ${TOKENS.reader}` } });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const until = async (predicate: (text: string) => boolean): Promise<void> => {
        while (!predicate(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended early:\n${text}`);
          text += decoder.decode(value, { stream: true });
        }
      };
      await until((t) => t.includes("id: 1\n"));
      expect(text).toMatch(/^retry: 3000\n: jobgate stream for job_\w+\n\n/);
      await api.patch(job.id, { status: "running", progress: 0.5 });
      await until((t) => t.includes("id: 2\n"));
      await api.patch(job.id, { status: "succeeded", result: { release_id: "rel_1" } });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      doc.assertConforms({ method: "GET", route: STREAM, status: res.status, headers: res.headers, body: text });
      expect(text.match(/^event: job$/gm)).toHaveLength(3);
      expect(text).toContain('"status":"succeeded"');
    });

    test("200: Last-Event-ID (or last_event_id) equal to the current version sends no event; HEAD sends headers only", async () => {
      const job = await api.publish();
      await api.patch(job.id, { status: "failed", error: { code: "deploy_failed", message: "boom" } });
      const replay = await readStream(api, `/v1/jobs/${job.id}/stream`);
      expect(replay.text).toMatch(/event: job\nid: 2\ndata: \{.*"status":"failed".*\}\n\n$/);
      const current = await readStream(api, `/v1/jobs/${job.id}/stream`, { "last-event-id": "2" });
      expect(current.text).not.toContain("event:");
      const byQuery = await readStream(api, `/v1/jobs/${job.id}/stream?last_event_id=2`);
      expect(byQuery.text).not.toContain("event:");
      const head = await call(api, STREAM, `/v1/jobs/${job.id}/stream`, { method: "HEAD", token: TOKENS.reader });
      expect([head.status, head.text]).toEqual([200, ""]);
    });

    test("errors come as JSON before any stream: 400, 401, 403, 404", async () => {
      const job = await api.publish();
      const path = `/v1/jobs/${job.id}/stream`;
      expect((await call(api, STREAM, path, { token: TOKENS.reader, headers: { "forge-version": "1" } })).status).toBe(400);
      expect((await call(api, STREAM, path, { token: null })).status).toBe(401);
      expect((await call(api, STREAM, path, { token: TOKENS.publisher })).status).toBe(403);
      const invisible = await call(api, STREAM, path, { token: TOKENS.other });
      expect([invisible.status, errorOf(invisible).message]).toEqual([404, `job ${job.id} not found`]);
    });
  });

  describe("POST /internal/v1/jobs and PATCH /internal/v1/jobs/{jobID}", () => {
    const body = { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1", env_id: "env_1" } };

    test("publish: 201, 200 on an idempotent repeat, 409 on another body, 400, 401, 403, 413", async () => {
      const id = newJobId();
      const created = await call(api, PUBLISH, PUBLISH, { method: "POST", token: TOKENS.publisher, body: { ...body, id } });
      expect([created.status, created.json.data]).toMatchObject([201, { id, status: "queued", progress: 0, resource: { id: "env_1", env_id: "env_1" } }]);
      const repeat = await call(api, PUBLISH, PUBLISH, { method: "POST", token: TOKENS.publisher, body: { ...body, id } });
      expect([repeat.status, repeat.json.data]).toEqual([200, created.json.data]);
      const conflict = await call(api, PUBLISH, PUBLISH, { method: "POST", token: TOKENS.publisher, body: { ...body, id, type: "build.run" } });
      expect([conflict.status, errorOf(conflict).message]).toEqual([409, `job id ${id} is already used by a different job`]);
      const unknown = await call(api, PUBLISH, PUBLISH, { method: "POST", token: TOKENS.publisher, body: { ...body, colour: "red" } });
      expect([unknown.status, errorOf(unknown).message]).toEqual([400, "unknown field colour; expected type, team_id, resource, id"]);
      const notJson = await call(api, PUBLISH, PUBLISH, {
        method: "POST",
        token: TOKENS.publisher,
        body: "{",
        headers: { "content-type": "application/json" },
      });
      expect([notJson.status, errorOf(notJson).message]).toEqual([400, "the body is not valid JSON"]);
      expect((await call(api, PUBLISH, PUBLISH, { method: "POST", token: null, body })).status).toBe(401);
      const reader = await call(api, PUBLISH, PUBLISH, { method: "POST", token: TOKENS.reader, body });
      expect([reader.status, errorOf(reader).message]).toEqual([403, "this key lacks the jobs:publish scope"]);
      const outsidePin = await call(api, PUBLISH, PUBLISH, {
        method: "POST",
        token: TOKENS.site1Publisher,
        body: { ...body, resource: { type: "deployment", site_id: "site_9" } },
      });
      expect([outsidePin.status, errorOf(outsidePin).message]).toEqual([403, "this key is pinned to another team or site than the job's"]);
      const huge = await call(api, PUBLISH, PUBLISH, { method: "POST", token: TOKENS.publisher, body: { ...body, padding: "x".repeat(1024 * 1024) } });
      expect([huge.status, errorOf(huge).message]).toEqual([413, "the body is larger than 1 MiB"]);
    });

    test("patch: 200, 400, 409, 404 for an invisible job, 401, 403, 413", async () => {
      const job = await api.publish();
      const path = `/internal/v1/jobs/${job.id}`;
      const patch = (patchBody: unknown, token: string | null = TOKENS.publisher) => call(api, PATCH, path, { method: "PATCH", token, body: patchBody });
      const running = await patch({ status: "running", progress: 0.5 });
      expect([running.status, running.json.data]).toMatchObject([200, { status: "running", progress: 0.5 }]);
      const empty = await patch({});
      expect([empty.status, errorOf(empty).message]).toEqual([400, "body is empty; give at least one of status, progress, result, error"]);
      const backwards = await patch({ progress: 0.2 });
      expect([backwards.status, errorOf(backwards).message]).toEqual([409, `progress cannot decrease (job ${job.id} is at 0.5, got 0.2)`]);
      const invisible = await patch({ progress: 0.6 }, TOKENS.otherPublisher);
      expect([invisible.status, errorOf(invisible).message]).toEqual([404, `job ${job.id} not found`]);
      expect((await patch({ progress: 0.6 }, null)).status).toBe(401);
      expect((await patch({ progress: 0.6 }, TOKENS.reader)).status).toBe(403);
      expect((await patch({ progress: 0.6, padding: "x".repeat(1024 * 1024) })).status).toBe(413);
      const done = await patch({ status: "succeeded", result: { release_id: "rel_2" } });
      expect(done.json.data).toMatchObject({ status: "succeeded", progress: 1, result: { release_id: "rel_2" } });
    });
  });

  describe("demo operations", () => {
    const paths: Record<(typeof OPERATIONS)[number], string> = {
      "/v1/sites/{site_id}/deploys": "/v1/sites/site_1/deploys",
      "/v1/sites/{site_id}/environments/{env_id}/deploys": "/v1/sites/site_1/environments/env_1/deploys",
      "/v1/sites/{site_id}/builds": "/v1/sites/site_1/builds",
    };
    for (const route of OPERATIONS) {
      test(`${route}: 202 with Location, the same job again for an Idempotency-Key, 409, 400, 401, 403, 404, 413`, async () => {
        const path = paths[route];
        const post = (init: RequestOptions) => call(api, route, path, { method: "POST", ...init });
        const started = await post({ body: { duration_ms: 60_000 } });
        expect(started.status).toBe(202);
        expect(started.headers.get("location")).toBe(`/v1/jobs/${started.json.data.id}`);
        expect(started.json.data.resource).toEqual(
          route.includes("environments")
            ? { type: "deployment", id: "env_1", site_id: "site_1", env_id: "env_1" }
            : { type: route.endsWith("builds") ? "build" : "deployment", id: "site_1", site_id: "site_1" },
        );
        const key = `key-${newJobId()}`;
        const first = await post({ headers: { "idempotency-key": key }, body: { duration_ms: 60_000 } });
        const again = await post({ headers: { "idempotency-key": key }, body: { duration_ms: 60_000 } });
        expect([again.status, again.headers.get("location")]).toEqual([202, first.headers.get("location")]);
        const reused = await post({ headers: { "idempotency-key": key }, body: { duration_ms: 1 } });
        expect([reused.status, errorOf(reused).message]).toEqual([409, "this Idempotency-Key was used for a different request"]);
        const badDuration = await post({ body: { duration_ms: -1 } });
        expect([badDuration.status, errorOf(badDuration).message]).toEqual([400, "duration_ms must be a whole number of milliseconds from 0 to 3600000"]);
        const badKey = await post({ headers: { "idempotency-key": "two words" } });
        expect([badKey.status, errorOf(badKey).message]).toEqual([400, "Idempotency-Key must be 1 to 255 visible ASCII characters"]);
        expect((await post({ token: null })).status).toBe(401);
        expect((await post({ token: TOKENS.reader })).status).toBe(403);
        const outside = await post({ token: SITE2_OPERATOR });
        expect([outside.status, errorOf(outside).message]).toEqual([404, "site site_1 not found"]);
        expect((await post({ body: { padding: "x".repeat(1024 * 1024) } })).status).toBe(413);
      });
    }

    test("a demo job runs to succeeded with its result, and fails with fail: true — every state is a valid Job", async () => {
      const ok = await call(api, OPERATIONS[0], paths[OPERATIONS[0]], { method: "POST", body: { duration_ms: 0 } });
      const failed = await call(api, OPERATIONS[2], paths[OPERATIONS[2]], { method: "POST", body: { duration_ms: 0, fail: true } });
      const okStream = await readStream(api, `/v1/jobs/${ok.json.data.id}/stream`);
      expect(okStream.text).toMatch(/"status":"succeeded".*"result":\{"release_id":"rel_\w+"\}/);
      const failedStream = await readStream(api, `/v1/jobs/${failed.json.data.id}/stream`);
      expect(failedStream.text).toMatch(/"status":"failed".*"error":\{"code":"build_failed"/);
    });
  });

  describe("service routes", () => {
    test("/healthz, /metrics, /openapi.json: 200 without a token, 400 on an unknown Forge-Version", async () => {
      const health = await call(api, "/healthz", "/healthz", { token: null });
      expect([health.status, health.json.status]).toEqual([200, "ok"]);
      const metrics = await call(api, "/metrics", "/metrics", { token: null });
      expect(metrics.text).toContain("jobgate_http_requests_total");
      expect((await call(api, "/openapi.json", "/openapi.json", { token: null })).json.openapi).toBe(doc.raw.openapi);
      for (const route of ["/healthz", "/metrics", "/openapi.json"]) {
        await call(api, route, route, { method: "HEAD", token: null });
        const res = await call(api, route, route, { token: null, headers: { "forge-version": "2020-01-01" } });
        expect([route, errorOf(res).code]).toEqual([route, "unsupported_version"]);
      }
    });

    test("every path answers a method it does not list with 405 and the Allow the document gives; an unknown route is a JSON 404", async () => {
      const samples: Record<string, string> = {
        [JOB]: `/v1/jobs/${MISSING_JOB}`,
        [STREAM]: `/v1/jobs/${MISSING_JOB}/stream`,
        [PATCH]: `/internal/v1/jobs/${MISSING_JOB}`,
      };
      for (const [route, methods] of doc.routesOf("standalone")) {
        const path = samples[route] ?? route.replace("{site_id}", "site_1").replace("{env_id}", "env_1");
        const method = methods.includes("PUT") ? "DELETE" : "PUT";
        const res = await call(api, route, path, { method, body: {} });
        expect([route, res.status, errorOf(res).code]).toEqual([route, 405, "method_not_allowed"]);
      }
      const unknown = await call(api, "/v2/nothing", "/v2/nothing");
      expect([unknown.status, errorOf(unknown).message]).toEqual([404, "no route for GET /v2/nothing"]);
    });

    test("/healthz: 503 with Retry-After while the server shuts down", async () => {
      const draining = await startTestServer();
      // A request whose headers have begun arriving is not idle: shutdown answers it rather than dropping it.
      const received = new Promise((resolve) => draining.server.http.once("connection", (socket) => socket.once("data", resolve)));
      const socket = connect(draining.server.port, "127.0.0.1");
      let raw = "";
      socket.on("data", (chunk) => (raw += chunk.toString()));
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.write("GET /healthz HTTP/1.1\r\nHost: jobgate\r\n");
      await received;
      const shutdown = draining.close();
      socket.write("\r\n");
      await closed;
      await shutdown;
      const [head, body] = raw.split("\r\n\r\n") as [string, string];
      const headers = Object.fromEntries(
        head
          .split("\r\n")
          .slice(1)
          .map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      const status = Number(head.split(" ")[1]);
      doc.assertConforms({ method: "GET", route: "/healthz", status, headers, body: JSON.parse(body) });
      expect([status, JSON.parse(body).error]).toEqual([503, { code: "unavailable", message: "shutting down" }]);
    });

    test("publish and operations: 503 with Retry-After when the store is full of jobs in flight", async () => {
      const full = await startTestServer({ operationDurationMs: 60_000 }, { store: new MemoryJobStore({ maxJobs: 1 }) });
      try {
        await full.publish();
        const publish = await call(full, PUBLISH, PUBLISH, {
          method: "POST",
          body: { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1" } },
        });
        expect([publish.status, errorOf(publish).message, publish.headers.get("retry-after")]).toEqual([
          503,
          "the job store is full of jobs in flight; try again later",
          "5",
        ]);
        for (const route of OPERATIONS) {
          const path = route.replace("{site_id}", "site_1").replace("{env_id}", "env_1");
          expect((await call(full, route, path, { method: "POST" })).status).toBe(503);
        }
      } finally {
        await full.close();
      }
    });

    test("headers over 16 KiB: 431 headers_too_large, as documented", async () => {
      const res = await call(api, "/v1/jobs", "/v1/jobs", { token: TOKENS.reader, headers: { "x-padding": "x".repeat(17 * 1024) } });
      expect(res.status).toBe(431);
    });
  });
});

describe("proxy mode", () => {
  let upstream: TestServer;
  let proxy: TestServer;
  beforeAll(async () => {
    upstream = await startTestServer({ heartbeatMs: 60_000 });
    proxy = await startTestProxy(upstream.url, { accessTtlMs: 60_000, watchIdleMs: 3000 });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });
  const via = (route: string, path: string, init: RequestOptions = {}) => call(proxy, route, path, init, "proxy");

  test("GET /v1/jobs passes through: 200, the upstream's 400s, 401 and 403 relayed, the proxy's own unsupported_version", async () => {
    const job = await upstream.publish();
    const list = await via("/v1/jobs", "/v1/jobs?limit=1", { token: TOKENS.reader });
    expect([list.status, list.json.data[0].id]).toEqual([200, job.id]);
    const badStatus = await via("/v1/jobs", "/v1/jobs?status=done", { token: TOKENS.reader });
    expect([badStatus.status, errorOf(badStatus).message]).toEqual([400, "status must be one of queued, running, succeeded, failed"]);
    expect(errorOf(await via("/v1/jobs", "/v1/jobs?cursor=abc.def", { token: TOKENS.reader })).code).toBe("invalid_cursor");
    expect(errorOf(await via("/v1/jobs", "/v1/jobs", { token: TOKENS.reader, headers: { "forge-version": "1" } })).code).toBe("unsupported_version");
    expect((await via("/v1/jobs", "/v1/jobs", { token: null })).status).toBe(401);
    expect((await via("/v1/jobs", "/v1/jobs", { token: "mfk_not_a_key_of_ours" })).status).toBe(401);
    const forbidden = await via("/v1/jobs", "/v1/jobs", { token: TOKENS.publisher });
    expect([forbidden.status, errorOf(forbidden).message]).toEqual([403, "this key lacks the jobs:read scope"]);
  });

  test("GET|HEAD /v1/jobs/{jobID}: 200, 304, held 304 and 200, 401, 403, 404 — as standalone", async () => {
    const job = await upstream.publish();
    const path = `/v1/jobs/${job.id}`;
    for (const method of ["GET", "HEAD"]) {
      const fresh = await via(JOB, path, { method, token: TOKENS.reader });
      expect([fresh.status, fresh.headers.get("etag")]).toEqual([200, '"w/job-1"']);
      expect((await via(JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"' } })).status).toBe(304);
      const elapsed = await via(JOB, path, { method, token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=1" } });
      expect([elapsed.status, elapsed.headers.get("preference-applied")]).toEqual([304, "wait=1"]);
      expect((await via(JOB, path, { method, token: null })).status).toBe(401);
      expect((await via(JOB, path, { method, token: TOKENS.publisher })).status).toBe(403);
      expect((await via(JOB, path, { method, token: TOKENS.other })).status).toBe(404);
      expect((await via(JOB, path, { method, token: TOKENS.reader, headers: { "forge-version": "1" } })).status).toBe(400);
    }
    const held = via(JOB, path, { token: TOKENS.reader, headers: { "if-none-match": '"w/job-1"', prefer: "wait=10" } });
    await untilHeld(proxy, 1);
    await upstream.patch(job.id, { status: "running", progress: 0.3 });
    const changed = await held;
    expect([changed.status, changed.headers.get("preference-applied"), changed.json.data.progress]).toEqual([200, "wait=10", 0.3]);
  });

  test("GET /v1/jobs/{jobID}/stream: 200 to the terminal event; 400, 401, 403, 404 as JSON", async () => {
    const job = await upstream.publish();
    await upstream.patch(job.id, { status: "succeeded" });
    const stream = await readStream(proxy, `/v1/jobs/${job.id}/stream`, {}, "proxy");
    expect(stream.text).toContain('"status":"succeeded"');
    const path = `/v1/jobs/${job.id}/stream`;
    expect((await via(STREAM, path, { token: TOKENS.reader, headers: { "forge-version": "1" } })).status).toBe(400);
    expect((await via(STREAM, path, { token: null })).status).toBe(401);
    expect((await via(STREAM, path, { token: TOKENS.publisher })).status).toBe(403);
    expect((await via(STREAM, path, { token: TOKENS.other })).status).toBe(404);
  });

  test("standalone-only routes are unknown routes; the rest answer 405 with the document's Allow", async () => {
    for (const [route, path, method] of [
      [PUBLISH, PUBLISH, "POST"],
      [PATCH, `/internal/v1/jobs/${MISSING_JOB}`, "PATCH"],
      ...OPERATIONS.map((route) => [route, route.replace("{site_id}", "site_1").replace("{env_id}", "env_1"), "POST"]),
    ] as const) {
      expect((await via(route, path, { method, body: {} })).status).toBe(404);
    }
    for (const [route] of doc.routesOf("proxy")) {
      const path = route.replace("{jobID}", MISSING_JOB);
      expect((await via(route, path, { method: "POST", body: {} })).status).toBe(405);
    }
    expect((await via("/healthz", "/healthz", { token: null })).status).toBe(200);
    expect((await via("/metrics", "/metrics", { token: null })).text).toContain("jobgate_upstream_");
    expect((await via("/openapi.json", "/openapi.json", { token: null })).json.openapi).toBe(doc.raw.openapi);
  });

  describe("an upstream that fails or limits", () => {
    let limiter: Server;
    let limited: TestServer;
    let dead: TestServer;
    beforeAll(async () => {
      // An upstream we do not run, reduced to its answer: every request is over its rate limit.
      limiter = createServer((_req, res) => {
        res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "7" });
        res.end(JSON.stringify({ error: { code: "rate_limited", message: "slow down" }, request_id: "req_01JAB2Q9V1K8E5X3M7N4P6R0TS" }));
      });
      await new Promise<void>((resolve) => limiter.listen(0, "127.0.0.1", resolve));
      limited = await startTestProxy(`http://127.0.0.1:${(limiter.address() as AddressInfo).port}`);
      const gone = createServer();
      await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve));
      const port = (gone.address() as AddressInfo).port;
      await new Promise((resolve) => gone.close(resolve));
      dead = await startTestProxy(`http://127.0.0.1:${port}`);
    });
    afterAll(async () => {
      await limited.close();
      await dead.close();
      await new Promise((resolve) => limiter.close(resolve));
    });

    test("429 relayed with its Retry-After; 503 unavailable with Retry-After when the upstream cannot be reached", async () => {
      for (const [route, path, method] of [
        ["/v1/jobs", "/v1/jobs", "GET"],
        [JOB, `/v1/jobs/${MISSING_JOB}`, "GET"],
        [JOB, `/v1/jobs/${MISSING_JOB}`, "HEAD"],
        [STREAM, `/v1/jobs/${MISSING_JOB}/stream`, "GET"],
      ] as const) {
        const slow = conforms(method, route, await limited.request(path, { method, token: TOKENS.reader }), "proxy");
        expect([route, method, slow.status, slow.headers.get("retry-after")]).toEqual([route, method, 429, "7"]);
        if (method === "GET") expect(errorOf(slow)).toEqual({ code: "rate_limited", message: "slow down" });
        const down = conforms(method, route, await dead.request(path, { method, token: TOKENS.reader }), "proxy");
        expect([route, method, down.status, down.headers.get("retry-after")]).toEqual([route, method, 503, "5"]);
        if (method === "GET") expect(errorOf(down).message).toBe("the upstream jobs API is unavailable (it could not be reached); try again shortly");
      }
    });
  });
});

describe("the document and the server", () => {
  test("the routes each mode answers are exactly the document's paths and methods", async () => {
    for (const mode of ["standalone", "proxy"] as const) {
      const served = await routesServed(mode);
      const documented = new Map([...doc.routesOf(mode)].map(([route, methods]) => [route.replace(/\{(\w+)\}/g, ":$1"), [...methods].sort()]));
      expect([mode, Object.fromEntries(served)]).toEqual([mode, Object.fromEntries(documented)]);
    }
  });

  test("the document's enums, patterns and limits are the contract's (api/)", () => {
    const { schemas, parameters, responses } = doc.resolved.components;
    const patternOf = (regex: RegExp) => regex.source;
    expect(schemas.JobStatus.enum).toEqual([...JOB_STATUSES]);
    expect(schemas.ForgeVersion.enum).toEqual([...SUPPORTED_VERSIONS]);
    expect(schemas.ResourceType.pattern).toBe(patternOf(RESOURCE_TYPE_PATTERN));
    expect(schemas.JobType.pattern).toBe(patternOf(JOB_TYPE_PATTERN));
    expect(schemas.JobId.pattern).toBe(patternOf(JOB_ID_PATTERN));
    expect(schemas.Identifier.pattern).toBe(patternOf(IDENTIFIER_PATTERN));
    expect(schemas.RequestId.pattern).toBe(`^req_${patternOf(ULID_PATTERN).slice(1)}`);
    expect(parameters["Idempotency-Key"].schema.pattern).toBe(patternOf(IDEMPOTENCY_KEY_PATTERN));
    for (const error of [schemas.Job.properties.error, schemas.JobPatch.properties.error]) {
      expect(error.properties.code.pattern).toBe(patternOf(ERROR_CODE_PATTERN));
      expect(error.properties.message.maxLength).toBe(MAX_ERROR_MESSAGE_CHARS);
    }
    const limit = doc.resolved.paths["/v1/jobs"].get.parameters.find((parameter: { name: string }) => parameter.name === "limit").schema;
    expect([limit.default, limit.minimum, limit.maximum]).toEqual([DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE]);
    expect(schemas.JobList.properties.data.maxItems).toBe(MAX_PAGE_SIZE);
    expect(schemas.OperationRequest.properties.duration_ms.maximum).toBe(MAX_OPERATION_DURATION_MS);
    expect(schemas.OperationRequest.properties.team_id.description).toContain(`\`${DEFAULT_TEAM}\``);
    expect(responses.PayloadTooLarge.description).toContain(`over ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
    expect(doc.resolved.paths[STREAM].get.description).toContain(`\`retry: ${SSE_RETRY_MS}\``);

    // Error codes and their statuses, as the document's error answers give them.
    expect([...schemas.ErrorCode.enum].sort()).toEqual([...ERROR_CODES].sort());
    expect(Object.fromEntries([...errorStatuses()].sort())).toEqual(Object.fromEntries(Object.entries(ERROR_STATUS).sort()));

    // Scopes: exactly the contract's, each required by some operation.
    const required = new Set(
      doc
        .operations()
        .flatMap(([, , operation]) => (operation.security ?? doc.resolved.security).flatMap((scheme: Record<string, string[]>) => scheme.bearer ?? [])),
    );
    expect([...required].sort()).toEqual([...SCOPES].sort());

    // The ETag: what the server sends matches the document, and what the document allows parses.
    const etag = new RegExp(schemas.JobETag.pattern, "u");
    for (const version of [1, 7, 123_456_789]) {
      expect([etagOf(version), etag.test(etagOf(version)), versionOfEtag(etagOf(version))]).toEqual([etagOf(version), true, version]);
    }
    for (const bad of ['"w/job-0"', '"job-1"', '"w/job-x"', "w/job-1"]) expect([bad, etag.test(bad), versionOfEtag(bad)]).toEqual([bad, false, undefined]);
  });

  test("every documented answer was produced above, or is listed with the reason it cannot be", () => {
    const missing = doc.documentedAnswers().filter((answer) => !doc.seen.has(answer) && !NOT_PRODUCED.has(answer));
    expect(missing).toEqual([]);
    const stale = [...NOT_PRODUCED.keys()].filter((answer) => doc.seen.has(answer));
    expect(stale).toEqual([]);
    expect(doc.seen.has(UNKNOWN_ROUTE)).toBe(true);
    expect(doc.seen.has(methodNotAllowed(JOB))).toBe(true);
  });
});

/** The code → status of every error answer the document gives. */
function errorStatuses(): Map<string, number> {
  const statusOf = new Map<string, number>();
  for (const [, , operation] of doc.operations()) {
    for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
      const code = response.content?.["application/json"]?.schema?.allOf?.[1]?.properties?.error?.properties?.code;
      for (const name of code?.enum ?? (code?.const ? [code.const] : [])) statusOf.set(name, Number(status));
    }
  }
  statusOf.set("method_not_allowed", 405);
  return statusOf;
}

/** Each mode's routes as its Express app registers them and its 405 table lists them, in Express path syntax. */
async function routesServed(mode: Mode): Promise<Map<string, string[]>> {
  const logger = pino({ level: "silent" });
  const deps = (options: ModeDeps["options"]): ModeDeps => createModeDeps(options, logger);
  const routes: ServeMode =
    mode === "standalone"
      ? createStandaloneMode({ ...deps(normalizeServeOptions({ keysFile: "(given)" })), keys: standaloneKeys(), store: new MemoryJobStore(), ownsStore: true })
      : createProxyMode({ ...deps(normalizeServeOptions({ upstream: "http://127.0.0.1:9" })), upstream: "http://127.0.0.1:9" });
  const app = createApp({ ...deps(normalizeServeOptions({ keysFile: "(given)" })), checkHealth: async () => {} }, routes);
  const served = new Map<string, Set<string>>();
  const add = (path: string, methods: Iterable<string>) => {
    const set = served.get(path) ?? served.set(path, new Set()).get(path)!;
    for (const method of methods) set.add(method.toUpperCase());
  };
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] } };
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        const methods = Object.keys(layer.route.methods).filter((method) => method !== "_all");
        // `app.all` (the 405 table) registers every method: it answers, it does not serve.
        const answersAll = METHODS.every((method) => methods.includes(method.toLowerCase()));
        if (methods.length > 0 && !answersAll) add(layer.route.path, methods.includes("get") ? [...methods, "head"] : methods);
      } else if (layer.handle.stack !== undefined) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  // GET|HEAD /v1/jobs/:jobID is answered ahead of Express (the mode's getJob); its methods are in the 405 table.
  const table = new Map(routes.allowedMethods.map(([path, allow]) => [path, allow.split(", ").sort()]));
  add("/v1/jobs/:jobID", table.get("/v1/jobs/:jobID") ?? []);
  await routes.stop();
  const result = new Map([...served].map(([path, methods]) => [path, [...methods].sort()]));
  // The 405 table must name what the app serves, or Allow would lie.
  expect([mode, Object.fromEntries(table)]).toEqual([mode, Object.fromEntries(result)]);
  expect(READ_PATHS.every(([path]) => result.has(path))).toBe(true);
  return result;
}

async function untilHeld(api: TestServer, count: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (api.server.metrics.heldLongPolls < count) {
    if (Date.now() > deadline) throw new Error(`only ${api.server.metrics.heldLongPolls} of ${count} requests held`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
