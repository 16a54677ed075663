/**
 * docs/openapi.yaml is a valid OpenAPI 3.1 document (linted by @readme/openapi-parser),
 * its schemas compile as JSON Schema 2020-12 and its examples satisfy them, it keeps the
 * rules every route shares (spec §2), and the server serves it — from the sources and
 * from dist/ alike.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileErrors, validate as lint } from "@readme/openapi-parser";
import { loadOpenApiDocument, packageRoot } from "../proxy/routes/openapi.js";
import { OpenApiDocument } from "./helpers/openapi.js";
import { startTestServer } from "./helpers/server.js";

const doc = new OpenApiDocument();
const { resolved } = doc;

test("the document is valid OpenAPI 3.1, every $ref resolving, without a warning", async () => {
  expect(doc.raw.openapi).toMatch(/^3\.1\.\d+$/);
  const result = await lint(structuredClone(doc.raw) as never);
  if (!result.valid) throw new Error(compileErrors(result));
  expect(result.warnings).toEqual([]);
});

test("the linter refuses what it should: a response without description, a missing path parameter, a duplicate operationId", async () => {
  const refusal = async (breakIt: (broken: Record<string, any>) => void): Promise<string> => {
    const broken = structuredClone(doc.raw);
    breakIt(broken);
    const result = await lint(broken as never);
    return result.valid ? "accepted" : compileErrors(result);
  };
  expect(await refusal((d) => delete d.paths["/healthz"].get.responses["200"].description)).toContain("must have required property 'description'");
  expect(await refusal((d) => delete d.paths["/v1/jobs/{jobID}/stream"].parameters)).toContain("missing path parameter(s) for `{jobID}`");
  expect(await refusal((d) => (d.paths["/metrics"].get.operationId = "health"))).toContain("The operationId `health` is duplicated");
});

test("every schema compiles as JSON Schema 2020-12 in ajv's strict mode, and every example satisfies its schema", () => {
  // Parameters', headers' and media types' schemas (and the stream's event schemas), wherever they are.
  const visit = (node: unknown, path: string): void => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      const eventSchema = /\/x-jobgate-events\/[^/]+$/.test(path) && (key === "id" || key === "data");
      if ((key === "schema" || eventSchema) && typeof value === "object") {
        try {
          doc.validator(value as object);
        } catch (error) {
          throw new Error(`${path}/${key}: ${(error as Error).message}`, { cause: error });
        }
      } else {
        visit(value, `${path}/${key}`);
      }
    }
  };
  visit(resolved.paths, "#/paths");
  visit(resolved.components, "#/components");
  const schemas = resolved.components.schemas as Record<string, Record<string, unknown>>;
  for (const [name, schema] of Object.entries(schemas)) {
    const validate = doc.validator(schema);
    for (const example of (schema.examples as unknown[] | undefined) ?? []) {
      if (!validate(example)) throw new Error(`components.schemas.${name}: an example fails its schema: ${JSON.stringify(validate.errors)}`);
    }
  }
});

test("a Job that breaks the §3 invariants is refused by the Job schema", () => {
  const validate = doc.validator(resolved.components.schemas.Job);
  const job = structuredClone(resolved.components.schemas.Job.examples[0]);
  expect(validate(job)).toBe(true);
  expect(validate({ ...job, extra: 1 })).toBe(false); // nothing added
  expect(validate({ ...job, status: "succeeded", progress: 0.5 })).toBe(false); // succeeded sets progress to 1
  expect(validate({ ...job, status: "failed" })).toBe(false); // failed carries an error
  expect(validate({ ...job, result: { release_id: "rel_1" } })).toBe(false); // result only on success
  expect(validate({ ...job, status: "failed", error: { code: "deploy_failed", message: "boom" } })).toBe(true);
  expect(validate({ ...job, resource: { type: "deployment", id: "site_1" } })).toBe(false); // site_id always
  expect(validate({ ...job, resource: { type: "deployment", id: "site_1", site_id: "site_1" } })).toBe(true); // env_id optional
});

test("every operation says who may call it, in which modes, and documents the answers every route can give", () => {
  const operationIds = new Set<string>();
  for (const [method, route, operation] of doc.operations()) {
    const where = `${method} ${route}`;
    expect([where, typeof operation.operationId]).toEqual([where, "string"]);
    expect(operationIds.has(operation.operationId)).toBe(false);
    operationIds.add(operation.operationId);
    expect([where, operation.tags?.length]).toEqual([where, 1]);
    expect([where, operation["x-jobgate-modes"]]).toEqual([where, expect.arrayContaining(["standalone"])]);
    const security = operation.security ?? resolved.security;
    const open = security.length === 0;
    expect([where, open]).toEqual([where, ["/healthz", "/metrics", "/openapi.json"].includes(route)]);
    // Spec §2: an unknown Forge-Version is a 400 before auth, and limits apply to every route.
    for (const status of ["400", "408", "431", "500"]) expect([where, status in operation.responses]).toEqual([where, true]);
    if (!open) {
      expect([where, security[0].bearer]).toEqual([where, [expect.stringMatching(/^(jobs|deploys|builds):(read|publish|write)$/)]]);
      for (const status of ["401", "403"]) expect([where, status in operation.responses]).toEqual([where, true]);
    }
  }
});

test("every answer carries X-Request-Id and Forge-Version; errors are the one envelope with their status's codes and headers", () => {
  const errorCodes = new Map<number, Set<string>>();
  const answers: Array<[string, Record<string, any>]> = [];
  for (const [method, route, operation] of doc.operations()) {
    for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) answers.push([`${method} ${route} ${status}`, response]);
  }
  answers.push(["405", resolved.components.responses.MethodNotAllowed]);
  for (const [where, response] of answers) {
    const status = Number(where.split(" ").pop());
    for (const name of ["X-Request-Id", "Forge-Version"]) expect([where, name, response.headers?.[name]?.required]).toEqual([where, name, true]);
    if (status < 400) continue;
    const schema = response.content?.["application/json"]?.schema;
    expect([where, schema?.allOf?.[0]]).toEqual([where, resolved.components.schemas.Error]);
    const narrowed = schema.allOf[1].properties.error.properties.code;
    const codes: string[] = narrowed.enum ?? [narrowed.const];
    for (const code of codes) (errorCodes.get(status) ?? errorCodes.set(status, new Set()).get(status)!).add(code);
    const required = { 401: "WWW-Authenticate", 405: "Allow", 429: "Retry-After", 503: "Retry-After" }[status];
    if (required !== undefined) expect([where, required, response.headers[required]?.required]).toEqual([where, required, true]);
  }
  // Each code belongs to one status, and every code of ErrorCode is used.
  const statusOf = new Map<string, number>();
  for (const [status, codes] of errorCodes) {
    for (const code of codes) {
      expect([code, statusOf.get(code) ?? status]).toEqual([code, status]);
      statusOf.set(code, status);
    }
  }
  expect([...statusOf.keys()].sort()).toEqual([...resolved.components.schemas.ErrorCode.enum].sort());
});

test("GET /openapi.json serves the document, without a token, in JSON", async () => {
  const api = await startTestServer();
  try {
    const res = await api.request("/openapi.json", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.json).toEqual(loadOpenApiDocument());
    doc.assertConforms({ method: "GET", route: "/openapi.json", status: res.status, headers: res.headers, body: res.json });
  } finally {
    await api.close();
  }
});

test("the built server finds the document from dist/, and package.json ships it", () => {
  const root = packageRoot();
  const script = `import("./dist/proxy/routes/openapi.js").then((m) => console.log(Object.keys(m.loadOpenApiDocument().paths).length))`;
  const paths = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  expect(Number(paths)).toBe(Object.keys(doc.raw.paths).length);
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
  expect(manifest.files).toContain("docs/openapi.yaml");
});

describe("the response validator (test/helpers/openapi.ts) refuses what the document does not promise", () => {
  const job = resolved.components.schemas.Job.examples[0];
  const requestId = "req_01JAB2Q9V1K8E5X3M7N4P6R0TS";
  const base = { "x-request-id": requestId, "forge-version": "2026-06-23", "content-type": "application/json; charset=utf-8" };
  const jobHeaders = { ...base, etag: '"w/job-3"', "cache-control": "private, no-cache", vary: "Prefer", "retry-after": "2" };
  const checker = new OpenApiDocument(doc.raw);
  const problems = (observed: Partial<Parameters<OpenApiDocument["problems"]>[0]>) =>
    checker.problems({ method: "GET", route: "/v1/jobs/{jobID}", status: 200, headers: jobHeaders, body: { data: job, request_id: requestId }, ...observed });

  test("a conforming answer has no problems", () => {
    expect(problems({})).toEqual([]);
  });

  test("statuses, headers and bodies", () => {
    expect(problems({ status: 418 })).toEqual([expect.stringContaining("status 418 is not documented")]);
    expect(problems({ headers: { ...jobHeaders, etag: undefined } })).toEqual([expect.stringContaining("the required header ETag is missing")]);
    expect(problems({ headers: { ...jobHeaders, etag: '"job-3"' } })).toEqual([expect.stringContaining('header ETag: ""job-3"" must match pattern')]);
    expect(problems({ headers: { ...jobHeaders, "retry-after": "soon" } })).toEqual([expect.stringContaining("header Retry-After")]);
    expect(problems({ headers: { ...jobHeaders, location: "/v1/jobs/x" } })).toEqual([
      expect.stringContaining("header location is not documented for this answer"),
    ]);
    expect(problems({ headers: { ...jobHeaders, "content-type": "text/html" } })).toEqual([
      expect.stringContaining("Content-Type text/html is not documented"),
    ]);
    expect(problems({ body: { data: { ...job, colour: "red" }, request_id: requestId } })).toEqual([
      expect.stringContaining("body /data must NOT have additional properties: colour"),
    ]);
    expect(problems({ body: { data: job, request_id: "req_01JAB2Q9V1K8E5X3M7N4P6R0TT" } })).toEqual([expect.stringContaining("differs from X-Request-Id")]);
    expect(problems({ status: 304, body: "{}" })).toEqual([expect.stringContaining("a 304 has no body")]);
    const notFound = { status: 404, headers: { ...base, vary: "Prefer" } };
    expect(problems({ ...notFound, body: { error: { code: "conflict", message: "x" }, request_id: requestId } })).toEqual([
      expect.stringContaining("body /error/code must be equal to constant"),
    ]);
    expect(problems({ ...notFound, headers: jobHeaders, body: { error: { code: "not_found", message: "x" }, request_id: requestId } })).toEqual(
      ["etag", "cache-control", "retry-after"].map((name) => expect.stringContaining(`header ${name} is not documented for this answer`)),
    );
  });

  test("event streams, 405s, unknown routes and routes of the other mode", () => {
    const streamHeaders = { ...base, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" };
    const stream = (body: string) => problems({ route: "/v1/jobs/{jobID}/stream", headers: streamHeaders, body });
    expect(stream(`retry: 3000\n: hello\n\nevent: job\nid: 3\ndata: ${JSON.stringify(job)}\n\n: heartbeat\n\n`)).toEqual([]);
    expect(stream(`event: job\nid: 0\ndata: ${JSON.stringify(job)}\n\n`)).toEqual([expect.stringContaining("event job id")]);
    expect(stream(`event: job\nid: 3\ndata: ${JSON.stringify({ ...job, status: "done" })}\n\n`)).toEqual([expect.stringContaining("event job data")]);
    expect(stream(`event: progress\nid: 3\ndata: {}\n\n`)).toEqual([expect.stringContaining('event "progress" is not documented')]);
    const notAllowed = {
      status: 405,
      headers: { ...base, allow: "GET" },
      body: { error: { code: "method_not_allowed", message: "x" }, request_id: requestId },
    };
    expect(problems({ ...notAllowed, method: "DELETE" })).toEqual([expect.stringContaining('Allow is "GET" but the document lists GET, HEAD')]);
    const notFound = { status: 404, headers: base, body: { error: { code: "not_found", message: "x" }, request_id: requestId } };
    expect(problems({ ...notFound, route: "/v2/nothing" })).toEqual([]);
    expect(problems({ ...notFound, route: "/internal/v1/jobs", method: "POST", mode: "proxy" })).toEqual([]);
    expect(problems({ route: "/internal/v1/jobs", method: "POST", mode: "proxy", status: 201 })).toContainEqual(
      expect.stringContaining("expected the unknown-route 404, got 201"),
    );
  });
});
