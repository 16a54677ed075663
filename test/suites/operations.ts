/**
 * Demo operations (spec §6): 202 + Location, the simulated runner, Idempotency-Key.
 * On every store backend: test/operations.test.ts runs it on memory, test/store-postgres-api.test.ts on PostgreSQL.
 */
import { TOKENS } from "../helpers/keys.js";
import type { TestServer } from "../helpers/server.js";
import { jobEvents, openStream } from "../helpers/sse.js";
import type { TestBackend } from "../helpers/backends.js";

export function describeOperations(backend: TestBackend): void {
  describe(`demo operations on ${backend.name}`, () => {
    let api: TestServer;
    beforeAll(async () => {
      api = await backend.start({ operationDurationMs: 300 });
    });
    afterAll(() => api.close());

    const operate = (path: string, body?: unknown, headers: Record<string, string> = {}, token: string = TOKENS.all) =>
      api.request(path, { method: "POST", token, headers, ...(body !== undefined ? { body } : {}) });

    async function finalState(jobId: string) {
      const stream = await openStream(`${api.url}/v1/jobs/${jobId}/stream`, TOKENS.all);
      await stream.ended;
      return jobEvents(stream.text());
    }

    test("a site deploy answers 202 with Location and the envelope, then runs to success", async () => {
      const res = await operate("/v1/sites/site_1/deploys");
      expect(res.status).toBe(202);
      const job = res.json.data;
      expect(res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
      expect(job).toMatchObject({ type: "deployment.deploy", status: "queued", resource: { type: "deployment", id: "site_1", site_id: "site_1" } });
      const events = await finalState(job.id);
      const last = events[events.length - 1]!.data;
      expect(last.status).toBe("succeeded");
      expect(last.progress).toBe(1);
      expect(last.result.release_id).toMatch(/^rel_[0-9A-Z]{26}$/);
      const progress = events.map((e) => e.data.progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(events.some((e) => e.data.status === "running")).toBe(true);
    });

    test("an environment deploy names the environment; a build is a build", async () => {
      const env = await operate("/v1/sites/site_1/environments/env_7/deploys", { duration_ms: 0 });
      expect(env.json.data.resource).toEqual({ type: "deployment", id: "env_7", site_id: "site_1", env_id: "env_7" });
      const build = await operate("/v1/sites/site_1/builds", { duration_ms: 0 });
      expect(build.json.data).toMatchObject({ type: "build.run", resource: { type: "build", id: "site_1", site_id: "site_1" } });
      const events = await finalState(build.json.data.id);
      expect(events[events.length - 1]!.data.result.build_id).toMatch(/^bld_/);
    });

    test('"fail": true makes the job fail with an error', async () => {
      const res = await operate("/v1/sites/site_1/deploys", { fail: true, duration_ms: 100 });
      const events = await finalState(res.json.data.id);
      const last = events[events.length - 1]!.data;
      expect(last.status).toBe("failed");
      expect(last.error).toEqual({ code: "deploy_failed", message: `simulated failure of ${res.json.data.id}, as the request asked ("fail": true)` });
      expect(last.result).toBeNull();
    });

    test("duration_ms overrides the server's duration", async () => {
      const started = performance.now();
      const res = await operate("/v1/sites/site_1/deploys", { duration_ms: 1200 });
      await finalState(res.json.data.id);
      expect(performance.now() - started).toBeGreaterThanOrEqual(1100);
    });

    test.each([
      [{ duration_ms: -1 }, "duration_ms must be a whole number of milliseconds from 0 to 3600000"],
      [{ duration_ms: "5s" }, "duration_ms must be a whole number of milliseconds from 0 to 3600000"],
      [{ fail: "yes" }, "fail must be true or false"],
      [{ team_id: 3 }, "team_id must be an identifier string"],
      [[1, 2], "body must be a JSON object (or empty)"],
    ])("a bad body is a 400 naming the field (%#)", async (body, message) => {
      const res = await operate("/v1/sites/site_1/deploys", body);
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({ code: "invalid_request", message });
    });

    test("the job's team is the key's pin, else the body's team_id, else team_default", async () => {
      const pinned = await operate("/v1/sites/site_1/deploys", { team_id: "team_9", duration_ms: 0 }, {}, TOKENS.team1);
      const fromBody = await operate("/v1/sites/site_1/deploys", { team_id: "team_9", duration_ms: 0 });
      const fallback = await operate("/v1/sites/site_1/deploys", { duration_ms: 0 });
      // Visible to the team_1 key only when the job's team is team_1.
      expect((await api.request(`/v1/jobs/${pinned.json.data.id}`, { token: TOKENS.team1 })).status).toBe(200);
      expect((await api.request(`/v1/jobs/${fromBody.json.data.id}`, { token: TOKENS.team1 })).status).toBe(404);
      expect((await api.request(`/v1/jobs/${fallback.json.data.id}`, { token: TOKENS.team1 })).status).toBe(404);
      expect((await api.request(`/v1/jobs/${fallback.json.data.id}`, { token: TOKENS.reader })).status).toBe(200);
    });

    test("a site the key cannot see is a 404", async () => {
      const { KeyRing } = await import("../../proxy/tenancy/keys.js");
      const pinned = await backend.start(
        {},
        { keys: KeyRing.fromJson({ keys: [{ token: "mfk_site1_deployer", account: "acct_1", scopes: ["deploys:write"], site_id: "site_1" }] }, "inline") },
      );
      try {
        const res = await pinned.request("/v1/sites/site_2/deploys", { method: "POST", token: "mfk_site1_deployer" });
        expect(res.status).toBe(404);
        expect(res.json.error).toEqual({ code: "not_found", message: "site site_2 not found" });
        expect((await pinned.request("/v1/sites/site_1/deploys", { method: "POST", token: "mfk_site1_deployer" })).status).toBe(202);
      } finally {
        await pinned.close();
      }
    });

    test("Idempotency-Key: a repeat returns the same job; another request with the key is a 409; keys are per account", async () => {
      const key = { "idempotency-key": `deploy-${Date.now()}` };
      const first = await operate("/v1/sites/site_1/deploys", { duration_ms: 50 }, key);
      const again = await operate("/v1/sites/site_1/deploys", { duration_ms: 50 }, key);
      expect(again.status).toBe(202);
      expect(again.headers.get("location")).toBe(first.headers.get("location"));
      expect(again.json.data.id).toBe(first.json.data.id);
      const concurrent = await Promise.all([1, 2, 3].map(() => operate("/v1/sites/site_1/builds", { duration_ms: 0 }, { "idempotency-key": "build-once" })));
      expect(new Set(concurrent.map((res) => res.json.data.id)).size).toBe(1);
      const different = await operate("/v1/sites/site_1/deploys", { duration_ms: 51 }, key);
      expect(different.status).toBe(409);
      expect(different.json.error).toEqual({ code: "conflict", message: "this Idempotency-Key was used for a different request" });
      // The same request from a key pinned to another team would land elsewhere: not a repeat.
      const otherTeam = await operate("/v1/sites/site_1/deploys", { duration_ms: 50 }, key, TOKENS.team1);
      expect(otherTeam.status).toBe(409);
      const otherAccount = await operate("/v1/sites/site_1/deploys", { duration_ms: 50 }, key, TOKENS.other);
      expect(otherAccount.status).toBe(202);
      expect(otherAccount.json.data.id).not.toBe(first.json.data.id);
    });
  });
}
