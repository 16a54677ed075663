/**
 * The producer side (spec §5): publish, PATCH rules, idempotent ids.
 * On every store backend: test/publish.test.ts runs it on memory, test/store-postgres-api.test.ts on PostgreSQL.
 */
import { newJobId } from "../../proxy/ulid.js";
import { TOKENS } from "../helpers/keys.js";
import type { TestServer } from "../helpers/server.js";
import type { TestBackend } from "../helpers/backends.js";

export function describePublish(backend: TestBackend): void {
  describe(`producer side on ${backend.name}`, () => {
    let api: TestServer;
    beforeAll(async () => {
      api = await backend.start();
    });
    afterAll(() => api.close());

    const publishBody = { type: "deployment.deploy", team_id: "team_1", resource: { type: "deployment", site_id: "site_1", env_id: "env_1" } };
    const post = (body: unknown, token: string = TOKENS.publisher) => api.request("/internal/v1/jobs", { method: "POST", token, body });

    test("publish → 201 with a queued job in the publisher's account", async () => {
      const res = await post(publishBody);
      expect(res.status).toBe(201);
      expect(res.json.data).toMatchObject({
        type: "deployment.deploy",
        status: "queued",
        progress: 0,
        resource: { type: "deployment", id: "env_1", site_id: "site_1", env_id: "env_1" },
      });
      expect((await api.request(`/v1/jobs/${res.json.data.id}`, { token: TOKENS.reader })).status).toBe(200);
      expect((await api.request(`/v1/jobs/${res.json.data.id}`, { token: TOKENS.other })).status).toBe(404);
    });

    test.each([
      [undefined, "body must be a JSON object { type, team_id, resource, id? }"],
      [[], "body must be a JSON object { type, team_id, resource, id? }"],
      [{ ...publishBody, colour: "red" }, "unknown field colour; expected type, team_id, resource, id"],
      [{ ...publishBody, type: "Deploy" }, "type must be a dotted lowercase name such as deployment.deploy"],
      [{ ...publishBody, team_id: undefined }, "team_id must be an identifier string (required unless the key is pinned to a team)"],
      [{ ...publishBody, resource: "site_1" }, "resource must be an object { type, site_id, env_id? }"],
      [{ ...publishBody, resource: { type: "deployment" } }, "resource.site_id must be an identifier string"],
      [
        { ...publishBody, resource: { type: "deployment", site_id: "s", id: "x" } },
        "unknown field resource.id; expected resource.type, resource.site_id, resource.env_id",
      ],
      [{ ...publishBody, id: "job_123" }, "id must be job_ followed by a ULID (26 characters of Crockford base32)"],
    ])("a malformed publish is a 400 naming the field (%#)", async (body, message) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({ code: "invalid_request", message });
    });

    test("a pinned publisher publishing outside its pin is 403", async () => {
      const res = await post({ ...publishBody, resource: { type: "deployment", site_id: "site_2" } }, TOKENS.site1Publisher);
      expect(res.status).toBe(403);
      expect(res.json.error.code).toBe("insufficient_scope");
      expect((await post(publishBody, TOKENS.site1Publisher)).status).toBe(201);
    });

    test("a client id makes publish idempotent; another body or account is a 409", async () => {
      const id = newJobId();
      const first = await post({ ...publishBody, id });
      expect(first.status).toBe(201);
      const again = await post({ ...publishBody, id });
      expect(again.status).toBe(200);
      expect(again.json.data).toEqual(first.json.data);
      const different = await post({ ...publishBody, id, type: "build.run" });
      expect(different.status).toBe(409);
      expect(different.json.error).toEqual({ code: "conflict", message: `job id ${id} is already used by a different job` });
      const otherAccount = await post({ ...publishBody, id }, TOKENS.otherPublisher);
      expect(otherAccount.status).toBe(409);
    });

    describe("PATCH", () => {
      const fresh = async () => (await post(publishBody)).json.data.id as string;
      const patch = (id: string, body: unknown) => api.request(`/internal/v1/jobs/${id}`, { method: "PATCH", token: TOKENS.publisher, body });

      test("legal transitions bump the version; succeeded sets progress to 1", async () => {
        const id = await fresh();
        const running = await patch(id, { status: "running", progress: 0.3 });
        expect(running.status).toBe(200);
        expect(running.json.data).toMatchObject({ status: "running", progress: 0.3 });
        const done = await patch(id, { status: "succeeded", result: { release_id: "rel_1" } });
        expect(done.json.data).toMatchObject({ status: "succeeded", progress: 1, result: { release_id: "rel_1" }, error: null });
        expect((await api.request(`/v1/jobs/${id}`)).headers.get("etag")).toBe('"w/job-3"');
      });

      test("queued may go straight to succeeded or failed", async () => {
        expect((await patch(await fresh(), { status: "succeeded" })).status).toBe(200);
        const failed = await patch(await fresh(), { status: "failed", error: { code: "deploy_failed", message: "health check failed" } });
        expect(failed.json.data).toMatchObject({ status: "failed", error: { code: "deploy_failed", message: "health check failed" }, result: null });
      });

      test("a PATCH that changes nothing answers 200 and keeps the version", async () => {
        const id = await fresh();
        await patch(id, { progress: 0.5 });
        const same = await patch(id, { progress: 0.5, status: "queued" });
        expect(same.status).toBe(200);
        expect((await api.request(`/v1/jobs/${id}`)).headers.get("etag")).toBe('"w/job-2"');
      });

      test.each([
        [{}, "body is empty; give at least one of status, progress, result, error"],
        [{ status: "done" }, "status must be one of queued, running, succeeded, failed"],
        [{ progress: 1.5 }, "progress must be a number from 0 to 1"],
        [{ progress: "half" }, "progress must be a number from 0 to 1"],
        [{ colour: "red" }, "unknown field colour; expected status, progress, result, error"],
        [{ status: "failed" }, "status failed needs an error { code, message }"],
        [{ result: { a: 1 } }, "result is only allowed with status succeeded (the job would be queued)"],
        [{ status: "running", error: { code: "x", message: "y" } }, "error is only allowed with status failed (the job would be running)"],
        [{ status: "failed", error: { code: "x" } }, "error.message must be a non-empty string of at most 4096 characters"],
        [{ status: "failed", error: { code: "x", message: "y", stack: "z" } }, "unknown field error.stack; expected error.code, error.message"],
        [{ result: [1] }, "result must be a JSON object"],
      ])("a malformed PATCH is a 400 naming the field (%#)", async (body, message) => {
        const res = await patch(await fresh(), body);
        expect(res.status).toBe(400);
        expect(res.json.error).toEqual({ code: "invalid_request", message });
      });

      test("illegal transitions, decreasing progress and changing a finished job are 409s", async () => {
        const id = await fresh();
        await patch(id, { status: "running", progress: 0.6 });
        expect((await patch(id, { status: "queued" })).json.error).toEqual({ code: "conflict", message: `job ${id} cannot go from running to queued` });
        expect((await patch(id, { progress: 0.2 })).json.error).toEqual({
          code: "conflict",
          message: `progress cannot decrease (job ${id} is at 0.6, got 0.2)`,
        });
        await patch(id, { status: "succeeded" });
        const again = await patch(id, { status: "failed", error: { code: "late", message: "too late" } });
        expect(again.status).toBe(409);
        expect(again.json.error.message).toBe(`job ${id} cannot go from succeeded to failed`);
        expect((await patch(id, { result: { a: 1 } })).json.error.message).toBe(`job ${id} is succeeded; a finished job never changes`);
        expect((await patch(id, { status: "succeeded" })).status).toBe(200); // a no-op is fine
      });

      test("a missing job is 404", async () => {
        const res = await patch("job_01J00000000000000000000000", { progress: 0.1 });
        expect(res.status).toBe(404);
        expect(res.json.error.message).toBe("job job_01J00000000000000000000000 not found");
      });
    });

    test("a full store of in-flight jobs answers 503 with Retry-After, and nothing is dropped", async () => {
      const small = await backend.start({ maxJobs: 2 });
      try {
        const a = await small.publish();
        const b = await small.publish();
        const refused = await small.request("/internal/v1/jobs", { method: "POST", body: publishBody });
        expect(refused.status).toBe(503);
        expect(refused.headers.get("retry-after")).toBe("5");
        expect(refused.json.error.code).toBe("unavailable");
        expect((await small.request(`/v1/jobs/${a.id}`)).status).toBe(200);
        expect((await small.request(`/v1/jobs/${b.id}`)).status).toBe(200);
        await small.patch(a.id, { status: "succeeded" });
        expect((await small.request("/internal/v1/jobs", { method: "POST", body: publishBody })).status).toBe(201);
      } finally {
        await small.close();
      }
    });
  });
}
