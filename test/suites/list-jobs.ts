/**
 * GET /v1/jobs (spec §4): filters, validation, keyset cursors, paging under concurrent writes.
 * On every store backend: test/list-jobs.test.ts runs it on memory, test/store-postgres-api.test.ts on PostgreSQL.
 */
import { TOKENS } from "../helpers/keys.js";
import type { TestServer } from "../helpers/server.js";
import type { TestBackend } from "../helpers/backends.js";

export function describeListJobs(backend: TestBackend): void {
  describe(`GET /v1/jobs on ${backend.name}`, () => {
    let api: TestServer;
    beforeEach(async () => {
      api = await backend.start();
    });
    afterEach(() => api.close());

    async function walk(query: string, token: string = TOKENS.reader, onPage?: (page: number) => Promise<void>): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const params = new URLSearchParams(query);
        if (cursor !== null) params.set("cursor", cursor);
        const res = await api.request(`/v1/jobs?${params.toString()}`, { token });
        expect(res.status).toBe(200);
        ids.push(...res.json.data.map((job: { id: string }) => job.id));
        cursor = res.json.next_cursor;
        await onPage?.(++page);
      } while (cursor !== null);
      return ids;
    }

    test("newest first, default page of 20, next_cursor null on the last page", async () => {
      const published = [];
      for (let i = 0; i < 25; i++) published.push((await api.publish()).id);
      const first = await api.request("/v1/jobs");
      expect(first.json.data).toHaveLength(20);
      expect(first.json.data.map((j: { id: string }) => j.id)).toEqual(published.slice(5).reverse());
      expect(typeof first.json.next_cursor).toBe("string");
      expect(Object.keys(first.json)).toEqual(["data", "next_cursor", "request_id"]);
      const second = await api.request(`/v1/jobs?cursor=${encodeURIComponent(first.json.next_cursor)}`);
      expect(second.json.data.map((j: { id: string }) => j.id)).toEqual(published.slice(0, 5).reverse());
      expect(second.json.next_cursor).toBeNull();
    });

    test("status and resource_type filter, also across pages", async () => {
      const builds = [];
      for (let i = 0; i < 7; i++) {
        builds.push((await api.publish({ type: "build.run", resource: { type: "build", site_id: "site_1" } })).id);
        const deploy = await api.publish();
        await api.patch(deploy.id, { status: "running" });
      }
      expect(await walk("resource_type=build&limit=3")).toEqual(builds.reverse());
      expect((await walk("status=running&limit=4")).length).toBe(7);
      expect(await walk("status=succeeded")).toEqual([]);
      expect(await walk("resource_type=site")).toEqual([]);
    });

    test.each([
      ["limit=0", "limit must be a whole number from 1 to 100"],
      ["limit=101", "limit must be a whole number from 1 to 100"],
      ["limit=ten", "limit must be a whole number from 1 to 100"],
      ["limit=", "limit must be a whole number from 1 to 100"],
      ["status=done", "status must be one of queued, running, succeeded, failed"],
      ["resource_type=Deploy", "resource_type must be a lowercase identifier such as deployment, build, environment or site"],
      ["status=queued&status=running", "query parameter status must be given once, as a plain value"],
    ])("%s is a 400 naming the parameter", async (query, message) => {
      const res = await api.request(`/v1/jobs?${query}`);
      expect(res.status).toBe(400);
      expect(res.json.error).toEqual({ code: "invalid_request", message });
    });

    test("a cursor the server did not issue, or issued for other filters or another account, is invalid_cursor", async () => {
      for (let i = 0; i < 3; i++) await api.publish({ type: "build.run", resource: { type: "build", site_id: "site_1" } });
      const page = await api.request("/v1/jobs?resource_type=build&limit=1");
      const cursor = encodeURIComponent(page.json.next_cursor);
      const message = "cursor is not one this server issued for these filters; start again without a cursor";
      for (const query of [
        "cursor=garbage",
        `cursor=${cursor}x`,
        `cursor=${cursor}`, // filters dropped
        `resource_type=deployment&cursor=${cursor}`,
        `resource_type=build&status=queued&cursor=${cursor}`,
      ]) {
        const res = await api.request(`/v1/jobs?${query}`);
        expect(res.status).toBe(400);
        expect(res.json.error).toEqual({ code: "invalid_cursor", message });
      }
      const otherTenant = await api.request(`/v1/jobs?resource_type=build&cursor=${cursor}`, { token: TOKENS.other });
      expect(otherTenant.json.error.code).toBe("invalid_cursor");
      // The same filters with another page size is fine.
      expect((await api.request(`/v1/jobs?resource_type=build&limit=5&cursor=${cursor}`)).json.data).toHaveLength(2);
    });

    test("a cursor from another server instance is invalid_cursor", async () => {
      await api.publish();
      await api.publish();
      const cursor = (await api.request("/v1/jobs?limit=1")).json.next_cursor;
      const other = await backend.start();
      try {
        const res = await other.request(`/v1/jobs?cursor=${encodeURIComponent(cursor)}`);
        expect(res.json.error.code).toBe("invalid_cursor");
      } finally {
        await other.close();
      }
    });

    test("walking every page yields each job that existed exactly once while jobs are created and finished", async () => {
      const existing: string[] = [];
      for (let i = 0; i < 60; i++) existing.push((await api.publish()).id);
      const created: string[] = [];
      const walked = await walk("limit=7", TOKENS.reader, async () => {
        // Between pages: new jobs arrive and old ones change.
        for (let i = 0; i < 3; i++) created.push((await api.publish()).id);
        await api.patch(existing[Math.floor(Math.random() * existing.length)]!, { progress: 0.5 });
      });
      const seenExisting = walked.filter((id) => existing.includes(id));
      expect(seenExisting).toEqual([...existing].reverse());
      expect(new Set(walked).size).toBe(walked.length);
      expect(walked.some((id) => created.includes(id))).toBe(false);
    });
  });
}
