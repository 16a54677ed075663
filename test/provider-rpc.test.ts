/**
 * The provider's RPCs on their own (in process, a real jobgate server behind them): the
 * plan rules (defaults, derived idempotency key, refined unknowns, RequiresReplace, update in
 * place for timeouts, destroy), apply results that keep the plan's promises, refresh,
 * import, validation messages, StopProvider, and the token kept out of the logs.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Job } from "../client/index.js";
import { decodeValue, encodeValue } from "../provider-shim/provider/cty/msgpack.js";
import type { CtyType } from "../provider-shim/provider/cty/types.js";
import { isUnknown, record, unknown, type CtyObject, type CtyValue } from "../provider-shim/provider/cty/values.js";
import { Logger } from "../provider-shim/provider/logging.js";
import { createProvider, RESOURCES } from "../provider-shim/provider/provider.js";
import { providerType } from "../provider-shim/provider/provider-config.js";
import { jobDataSource } from "../provider-shim/provider/resources/job-data-source.js";
import { deriveIdempotencyKey } from "../provider-shim/provider/resources/operation.js";
import { createPluginCertificate } from "../provider-shim/provider/tls/certificate.js";
import { closedPort } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";

const OP = RESOURCES.find((r) => r.typeName === "jobgate_operation")!;
const WAIT = RESOURCES.find((r) => r.typeName === "jobgate_job_wait")!;

let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ operationDurationMs: 200 });
});
afterAll(async () => server?.close());

const dv = (value: CtyValue, type: CtyType) => ({ msgpack: Buffer.from(encodeValue(value, type)) });
const val = (message: { msgpack: Buffer } | undefined, type: CtyType): CtyValue => decodeValue(message!.msgpack, type);

function opConfig(extra: Record<string, CtyValue> = {}): CtyObject {
  return record(
    Object.entries({
      id: null,
      method: null,
      path: "/v1/sites/site_1/deploys",
      body: '{"duration_ms":100}',
      idempotency_key: null,
      triggers: null,
      job_id: null,
      status: null,
      progress: null,
      result: null,
      error_code: null,
      error_message: null,
      timeouts: null,
      ...extra,
    }),
  );
}

function waitConfig(jobId: CtyValue, timeouts: CtyValue = null): CtyObject {
  return record(Object.entries({ id: null, job_id: jobId, status: null, progress: null, result: null, error_code: null, error_message: null, timeouts }));
}

async function configured(apiUrl = server.url, token: string | null = TOKENS.all) {
  const provider = createProvider({ logger: new Logger("trace", (line) => logLines.push(line)), env: {} });
  const h = provider.handlers;
  const config = record([
    ["api_url", apiUrl],
    ["token", token],
    ["forge_version", null],
    ["ca_file", null],
  ]);
  const res: any = await h.ConfigureProvider!({ terraform_version: "1.11.4", config: dv(config, providerType) });
  return { h, provider, diagnostics: res.diagnostics as { summary: string; detail: string }[] };
}

async function plan(h: any, type: { typeName: string; type: CtyType }, prior: CtyValue, config: CtyObject, priorPrivate = Buffer.alloc(0)) {
  const res = await h.PlanResourceChange({
    type_name: type.typeName,
    prior_state: dv(prior, type.type),
    proposed_new_state: dv(config, type.type),
    config: dv(config, type.type),
    prior_private: priorPrivate,
  });
  return {
    planned: val(res.planned_state, type.type) as CtyObject,
    replace: res.requires_replace.map((p: any) => p.steps.map((s: any) => s.attribute_name)),
    res,
  };
}

async function apply(h: any, type: { typeName: string; type: CtyType }, prior: CtyValue, planned: CtyValue, config: CtyObject) {
  const res = await h.ApplyResourceChange({
    type_name: type.typeName,
    prior_state: dv(prior, type.type),
    planned_state: dv(planned, type.type),
    config: dv(config, type.type),
    planned_private: Buffer.alloc(0),
  });
  return {
    state: val(res.new_state, type.type) as CtyObject | null,
    priv: JSON.parse(res.private.length > 0 ? res.private.toString() : "{}"),
    diagnostics: res.diagnostics as { severity: number; summary: string; detail: string }[],
  };
}

/** Terraform's rule: known planned values come back equal; unknown ones satisfy their refinements. */
function expectConsistent(planned: CtyObject, applied: CtyObject): void {
  for (const [name, p] of Object.entries(planned)) {
    const a = applied[name] ?? null;
    expect(isUnknown(a)).toBe(false);
    if (!isUnknown(p)) {
      expect([name, a]).toEqual([name, p]);
      continue;
    }
    const r = p.refinements;
    if (r.notNull) expect([name, a]).not.toEqual([name, null]);
    if (r.stringPrefix !== undefined) expect(typeof a === "string" && a.startsWith(r.stringPrefix)).toBe(true);
    if (r.numberMin !== undefined) expect(a as number).toBeGreaterThanOrEqual(r.numberMin.value);
    if (r.numberMax !== undefined) expect(a as number).toBeLessThanOrEqual(r.numberMax.value);
  }
}

async function startJob(body: Record<string, unknown>): Promise<Job> {
  const res = await server.request("/v1/sites/site_1/deploys", { method: "POST", body });
  return res.json.data as Job;
}

describe("PlanResourceChange", () => {
  test("create: method defaults to POST, the idempotency key is derived, computed attributes are refined unknowns", async () => {
    const { h } = await configured();
    const { planned, replace } = await plan(h, OP, null, opConfig());
    expect(planned.method).toBe("POST");
    expect(planned.idempotency_key).toBe(deriveIdempotencyKey("POST", "/v1/sites/site_1/deploys", '{"duration_ms":100}', null));
    expect(replace).toEqual([]);
    const jobId = planned.job_id;
    expect(isUnknown(jobId) && jobId.refinements).toEqual({ notNull: true, stringPrefix: "job_" });
    const progress = planned.progress;
    expect(isUnknown(progress) && progress.refinements).toEqual({
      notNull: true,
      numberMin: { value: 0, inclusive: true },
      numberMax: { value: 1, inclusive: true },
    });
    expect(isUnknown(planned.status) && planned.status.refinements).toEqual({ notNull: true });
    expect(isUnknown(planned.error_code) && planned.error_code.refinements).toEqual({});
  });

  test("the derived key does not depend on trigger order, and is unknown while an input is", async () => {
    expect(deriveIdempotencyKey("POST", "/p", null, { a: "1", b: "2" })).toBe(deriveIdempotencyKey("POST", "/p", null, { b: "2", a: "1" }));
    expect(deriveIdempotencyKey("POST", "/p", null, { a: "1" })).not.toBe(deriveIdempotencyKey("POST", "/p", null, { a: "2" }));
    const { h } = await configured();
    const { planned } = await plan(h, OP, null, opConfig({ body: unknown() }));
    expect(isUnknown(planned.idempotency_key) && planned.idempotency_key.refinements).toEqual({ notNull: true, stringPrefix: "jobgate-tf-" });
  });

  test("update: unchanged keeps the prior state; timeouts alone change in place; any argument replaces", async () => {
    const { h } = await configured();
    const created = await plan(h, OP, null, opConfig());
    const { state } = await apply(h, OP, null, created.planned, opConfig());
    const same = await plan(h, OP, state, opConfig());
    expect(same.planned).toEqual(state);
    expect(same.replace).toEqual([]);
    const timeouts = await plan(h, OP, state, opConfig({ timeouts: record([["create", "1h"]]) }));
    expect(timeouts.replace).toEqual([]);
    expect(timeouts.planned.job_id).toBe(state!.job_id);
    expect((timeouts.planned.timeouts as CtyObject).create).toBe("1h");
    const path = await plan(h, OP, state, opConfig({ path: "/v1/sites/site_1/builds" }));
    expect(path.replace).toEqual([["path"], ["idempotency_key"]]);
    expect(isUnknown(path.planned.job_id)).toBe(true);
    const triggers = await plan(h, OP, state, opConfig({ triggers: record([["run", "2"]]) }));
    expect(triggers.replace).toEqual([["idempotency_key"], ["triggers"]]);
    const method = await plan(h, OP, state, opConfig({ method: "PUT" }));
    expect(method.replace).toEqual([["method"], ["idempotency_key"]]);
    // jobgate_job_wait: job_id replaces.
    const waitPlan = await plan(h, WAIT, null, waitConfig(state!.job_id as string));
    expect(waitPlan.planned.id).toBe(state!.job_id);
    const waitState = (await apply(h, WAIT, null, waitPlan.planned, waitConfig(state!.job_id as string))).state;
    expect((await plan(h, WAIT, waitState, waitConfig("job_other"))).replace).toEqual([["job_id"]]);
    expect((await plan(h, WAIT, waitState, waitConfig(state!.job_id as string, record([["create", "5m"]])))).replace).toEqual([]);
  });

  test("destroy plans null and applies as state-only: nothing is called", async () => {
    const { h } = await configured();
    const created = await plan(h, OP, null, opConfig());
    const { state } = await apply(h, OP, null, created.planned, opConfig());
    const before = (await server.request("/v1/jobs?limit=100")).json.data.length;
    const res: any = await h.PlanResourceChange!({
      type_name: OP.typeName,
      prior_state: dv(state, OP.type),
      proposed_new_state: dv(null, OP.type),
      config: dv(null, OP.type),
      prior_private: Buffer.alloc(0),
    });
    expect(val(res.planned_state, OP.type)).toBeNull();
    const destroyed = await apply(h, OP, state, null, opConfig());
    expect(destroyed.state).toBeNull();
    expect((await server.request("/v1/jobs?limit=100")).json.data.length).toBe(before);
  });
});

describe("ApplyResourceChange", () => {
  test("create calls the operation once, waits, and returns what the plan promised, with the job id and ETag in private state", async () => {
    const { h } = await configured();
    const config = opConfig({ triggers: record([["run", `apply-${Date.now()}`]]) });
    const { planned } = await plan(h, OP, null, config);
    const { state, priv, diagnostics } = await apply(h, OP, null, planned, config);
    expect(diagnostics).toEqual([]);
    expectConsistent(planned, state!);
    expect(state!.status).toBe("succeeded");
    expect(state!.progress).toBe(1);
    expect(JSON.parse(state!.result as string).release_id).toMatch(/^rel_/);
    expect(state!.id).toBe(state!.job_id);
    expect(priv).toEqual({ job_id: state!.job_id, etag: expect.stringMatching(/^"w\/job-\d+"$/) });
    // Applying the same plan again re-attaches to the same job (same derived key).
    const again = await apply(h, OP, null, planned, config);
    expect(again.state!.job_id).toBe(state!.job_id);
  });

  test("a failed job: error.code: error.message, and a state that still keeps the plan's promises", async () => {
    const { h } = await configured();
    const job = await startJob({ duration_ms: 50, fail: true });
    const { planned } = await plan(h, WAIT, null, waitConfig(job.id));
    const { state, diagnostics } = await apply(h, WAIT, null, planned, waitConfig(job.id));
    expect(diagnostics.map((d) => [d.severity, d.summary])).toEqual([
      [1, `Job ${job.id} failed: deploy_failed: simulated failure of ${job.id}, as the request asked ("fail": true)`],
    ]);
    expect(diagnostics[0]!.detail).toContain("Point job_id at a job that succeeds");
    expectConsistent(planned, state!);
    expect(state).toMatchObject({ status: "failed", error_code: "deploy_failed" });
  });

  test("StopProvider ends every wait at once", async () => {
    const { h } = await configured();
    const jobs = [await startJob({ duration_ms: 60_000 }), await startJob({ duration_ms: 60_000 })];
    const applies = jobs.map(async (job) => {
      const { planned } = await plan(h, WAIT, null, waitConfig(job.id));
      return apply(h, WAIT, null, planned, waitConfig(job.id));
    });
    // Both long-polls held, then stop.
    await new Promise<void>((resolve) => {
      const check = async (): Promise<void> => {
        const text = (await server.request("/metrics", { token: null })).text;
        if (Number(/^jobgate_long_polls_held (\d+)/m.exec(text)?.[1]) >= 2) resolve();
        else setTimeout(() => void check(), 20);
      };
      void check();
    });
    const stoppedAt = performance.now();
    expect(await h.StopProvider!({})).toEqual({ Error: "" });
    const results = await Promise.all(applies);
    expect(performance.now() - stoppedAt).toBeLessThan(2000);
    for (const [i, r] of results.entries()) {
      expect(r.diagnostics[0]!.summary).toBe(`Interrupted while waiting for job ${jobs[i]!.id}`);
      expect(r.state!.status).toBe("queued");
    }
  });

  test("a timeout fails with the last state", async () => {
    const { h } = await configured();
    const job = await startJob({ duration_ms: 60_000 });
    const config = waitConfig(job.id, record([["create", "1s"]]));
    const { planned } = await plan(h, WAIT, null, config);
    const { state, priv, diagnostics } = await apply(h, WAIT, null, planned, config);
    expect(diagnostics[0]!.summary).toBe(`Timed out waiting for job ${job.id}`);
    expect(diagnostics[0]!.detail).toMatch(new RegExp(`timed out after 1s waiting for ${job.id}; last state: (queued|running) \\d+%`));
    expectConsistent(planned, state!);
    // The last state's ETag is kept: the refresh of the cut wait asks with it, and an unchanged job is a 304.
    expect(priv).toEqual({ job_id: job.id, etag: expect.stringMatching(/^"w\/job-\d+"$/) });
    const answered304 = async (): Promise<number> =>
      Number(
        /^jobgate_http_requests_total\{(?=[^}]*route="GET \/v1\/jobs\/:jobID")(?=[^}]*status="304")[^}]*\} (\d+)/m.exec(
          (await server.request("/metrics", { token: null })).text,
        )?.[1] ?? 0,
      );
    const before = await answered304();
    const read: any = await h.ReadResource!({ type_name: WAIT.typeName, current_state: dv(state, WAIT.type), private: Buffer.from(JSON.stringify(priv)) });
    expect(read.diagnostics).toEqual([]);
    expect(await answered304()).toBe(before + 1);
  });
});

describe("ReadResource, ImportResourceState, ReadDataSource", () => {
  test("a terminal job is not read again (no request: the API may be gone); a running one the API forgot keeps its state", async () => {
    const { h } = await configured(`http://127.0.0.1:${await closedPort()}`);
    const state = record(
      Object.entries({ id: "job_1", job_id: "job_1", status: "succeeded", progress: 1, result: "{}", error_code: null, error_message: null, timeouts: null }),
    );
    const read: any = await h.ReadResource!({ type_name: WAIT.typeName, current_state: dv(state, WAIT.type), private: Buffer.from('{"job_id":"job_1"}') });
    expect(read.diagnostics).toEqual([]);
    expect(val(read.new_state, WAIT.type)).toEqual(state);
    const { h: live } = await configured();
    const running = record(Object.entries({ ...state, status: "running", progress: 0.5, result: "null" }));
    const gone: any = await live.ReadResource!({ type_name: WAIT.typeName, current_state: dv(running, WAIT.type), private: Buffer.alloc(0) });
    expect(gone.diagnostics).toEqual([]);
    expect(val(gone.new_state, WAIT.type)).toEqual(running);
  });

  test("import reads the job once; a missing job is an error; jobgate_operation is refused", async () => {
    const { h } = await configured();
    const job = await startJob({ duration_ms: 10 });
    await new Promise((r) => setTimeout(r, 300));
    const imported: any = await h.ImportResourceState!({ type_name: WAIT.typeName, id: job.id });
    const state = val(imported.imported_resources[0].state, WAIT.type);
    const read: any = await h.ReadResource!({ type_name: WAIT.typeName, current_state: dv(state, WAIT.type), private: imported.imported_resources[0].private });
    expect(val(read.new_state, WAIT.type)).toMatchObject({ job_id: job.id, status: "succeeded", progress: 1 });
    const missing = val(
      ((await h.ImportResourceState!({ type_name: WAIT.typeName, id: "job_01NOPE000000000000000000NO" })) as any).imported_resources[0].state,
      WAIT.type,
    );
    const readMissing: any = await h.ReadResource!({ type_name: WAIT.typeName, current_state: dv(missing, WAIT.type), private: Buffer.alloc(0) });
    expect(val(readMissing.new_state, WAIT.type)).toBeNull();
    expect(readMissing.diagnostics[0].summary).toBe("Cannot import jobgate_job_wait: job job_01NOPE000000000000000000NO not found");
    const op: any = await h.ImportResourceState!({ type_name: OP.typeName, id: job.id });
    expect(op.imported_resources).toEqual([]);
    expect(op.diagnostics[0].summary).toBe("jobgate_operation cannot be imported");
  });

  test("data jobgate_job reads without waiting", async () => {
    const { h } = await configured();
    const job = await startJob({ duration_ms: 60_000 });
    const config = record(Object.entries({ id: null, job_id: job.id, status: null, progress: null, result: null, error_code: null, error_message: null }));
    const res: any = await h.ReadDataSource!({ type_name: "jobgate_job", config: dv(config, jobDataSource.type) });
    expect(val(res.state, jobDataSource.type)).toMatchObject({ id: job.id, job_id: job.id, status: "queued", result: "null" });
  });
});

describe("validation, configuration, upgrade", () => {
  test("bad arguments are named, with the attribute Terraform should point at", async () => {
    const { h } = await configured();
    const res: any = await h.ValidateResourceConfig!({
      type_name: OP.typeName,
      config: dv(opConfig({ method: "GET", path: "v1/x", body: "{nope", timeouts: record([["create", "soon"]]) }), OP.type),
    });
    const got = res.diagnostics.map((d: any) => [d.summary, d.attribute.steps.map((s: any) => s.attribute_name).join(".")]);
    expect(got).toEqual([
      ["Invalid timeouts.create", "timeouts.create"],
      ["Invalid method", "method"],
      ["Invalid path", "path"],
      ["Invalid body", "body"],
    ]);
    const wait: any = await h.ValidateResourceConfig!({ type_name: WAIT.typeName, config: dv(waitConfig("job 1"), WAIT.type) });
    expect(wait.diagnostics[0].detail).toContain('"job 1" is not a job id');
    const provider: any = await h.ValidateProviderConfig!({
      config: dv(
        record([
          ["api_url", "http://x/v1"],
          ["token", null],
          ["forge_version", "v2"],
          ["ca_file", null],
        ]),
        providerType,
      ),
    });
    expect(provider.diagnostics.map((d: any) => d.detail)).toEqual([
      "api_url must not end in /v1: the provider adds the version path itself (use http://x).",
      'forge_version must be a date such as 2026-06-23, got "v2".',
    ]);
  });

  test("no token is an error at configure; the token never reaches a log line", async () => {
    const { diagnostics } = await configured(server.url, null);
    expect(diagnostics[0]!.summary).toBe("No token for the jobs API");
    logLines.length = 0;
    const { h } = await configured();
    const job = await startJob({ duration_ms: 10 });
    const { planned } = await plan(h, WAIT, null, waitConfig(job.id));
    await apply(h, WAIT, null, planned, waitConfig(job.id));
    expect(logLines.length).toBeGreaterThan(3);
    expect(logLines.join("")).not.toContain(TOKENS.all);
  });

  test("ca_file is read and checked, then trusted by the client (no warning)", async () => {
    const provider = createProvider({ logger: new Logger("off"), env: {} });
    const configure = (caFile: string) =>
      provider.handlers.ConfigureProvider!({
        terraform_version: "1.11.4",
        config: dv(
          record([
            ["api_url", server.url],
            ["token", TOKENS.all],
            ["forge_version", null],
            ["ca_file", caFile],
          ]),
          providerType,
        ),
      }) as Promise<{ diagnostics: { severity: number; summary: string; detail: string }[] }>;
    const dir = mkdtempSync(join(tmpdir(), "jobgate-ca-"));
    const pem = join(dir, "ca.pem");
    writeFileSync(pem, createPluginCertificate().certPem);
    const ok = await configure(pem);
    expect(ok.diagnostics).toEqual([]);
    const missing = await configure(join(dir, "nope.pem"));
    expect(missing.diagnostics.map((d) => [d.severity, d.summary])).toEqual([[1, "Cannot read ca_file"]]);
    writeFileSync(join(dir, "empty.pem"), "not a certificate");
    expect((await configure(join(dir, "empty.pem"))).diagnostics[0]!.summary).toBe("Invalid ca_file");
  });

  test("UpgradeResourceState reads the stored JSON into the current schema", async () => {
    const { h } = await configured();
    const json = {
      id: "job_1",
      job_id: "job_1",
      status: "succeeded",
      progress: 1,
      result: "{}",
      error_code: null,
      error_message: null,
      timeouts: { create: "5m" },
    };
    const res: any = await h.UpgradeResourceState!({ type_name: WAIT.typeName, version: 0, raw_state: { json: Buffer.from(JSON.stringify(json)) } });
    expect(val(res.upgraded_state, WAIT.type)).toEqual(record(Object.entries({ ...json, timeouts: record([["create", "5m"]]) })));
    const newer: any = await h.UpgradeResourceState!({ type_name: WAIT.typeName, version: 3, raw_state: { json: Buffer.from("{}") } });
    expect(newer.diagnostics[0].summary).toBe("jobgate_job_wait: state from a newer provider");
  });
});
