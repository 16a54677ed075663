/**
 * The JobStore contract, run against every backend (spec §8): a backend file calls
 * `describeJobStoreContract(name, factory)` from its own test file.
 */
import type { JobStore, NewJob } from "../proxy/store/types.js";
import { JobExistsError } from "../proxy/store/types.js";
import { ulid } from "../proxy/ulid.js";

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    id: `job_${ulid()}`,
    account: "acct_1",
    teamId: "team_1",
    type: "deployment.deploy",
    resource: { type: "deployment", id: "site_1", site_id: "site_1" },
    ...overrides,
  };
}

export function describeJobStoreContract(name: string, create: () => Promise<JobStore> | JobStore): void {
  describe(`JobStore contract: ${name}`, () => {
    let store: JobStore;
    beforeEach(async () => {
      store = await create();
    });
    afterEach(() => store.close());

    test("insert creates a queued job at version 1 and get returns it", async () => {
      const fresh = newJob();
      const job = await store.insert(fresh);
      expect(job).toMatchObject({ ...fresh, status: "queued", progress: 0, result: null, error: null, version: 1 });
      expect(await store.get(fresh.id)).toEqual(job);
      expect(await store.get("job_missing")).toBeUndefined();
    });

    test("insert refuses a taken id", async () => {
      const fresh = newJob();
      await store.insert(fresh);
      await expect(store.insert(fresh)).rejects.toBeInstanceOf(JobExistsError);
    });

    test("update bumps the version only when something changes", async () => {
      const { id } = await store.insert(newJob());
      const running = await store.update(id, () => ({ status: "running", progress: 0.5 }));
      expect(running).toMatchObject({ status: "running", progress: 0.5, version: 2 });
      const same = await store.update(id, () => ({ status: "running", progress: 0.5 }));
      expect(same?.version).toBe(2);
      const nothing = await store.update(id, () => undefined);
      expect(nothing?.version).toBe(2);
      expect(await store.update("job_missing", () => ({ progress: 1 }))).toBeUndefined();
    });

    test("update propagates a refusal from mutate and keeps the job", async () => {
      const { id } = await store.insert(newJob());
      await expect(
        store.update(id, () => {
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect((await store.get(id))?.version).toBe(1);
    });

    test("waitForChange resolves at once when the version is already past", async () => {
      const { id } = await store.insert(newJob());
      await store.update(id, () => ({ progress: 0.1 }));
      const job = await store.waitForChange(id, 1, new AbortController().signal);
      expect(job?.version).toBe(2);
    });

    test("waitForChange wakes every waiter on a change, with the new state", async () => {
      const { id } = await store.insert(newJob());
      const signal = new AbortController().signal;
      const waits = Array.from({ length: 50 }, () => store.waitForChange(id, 1, signal));
      await store.update(id, () => ({ status: "running", progress: 0.3 }));
      const woken = await Promise.all(waits);
      expect(woken.every((job) => job?.version === 2 && job.progress === 0.3)).toBe(true);
    });

    test("waitForChange resolves undefined on abort, and for a missing job", async () => {
      const { id } = await store.insert(newJob());
      const controller = new AbortController();
      const wait = store.waitForChange(id, 1, controller.signal);
      controller.abort();
      await expect(wait).resolves.toBeUndefined();
      await expect(store.waitForChange("job_missing", 0, new AbortController().signal)).resolves.toBeUndefined();
    });

    test("a waiter registered before a change never misses it", async () => {
      const { id } = await store.insert(newJob());
      // Start the wait and the update in the same tick: the change must not slip through.
      const wait = store.waitForChange(id, 1, new AbortController().signal);
      const update = store.update(id, () => ({ progress: 0.9 }));
      const [woken] = await Promise.all([wait, update]);
      expect(woken?.progress).toBe(0.9);
    });

    test("subscribe delivers every change, in order, as it is accepted, until unsubscribed", async () => {
      const { id } = await store.insert(newJob());
      const seen: number[] = [];
      const unsubscribe = store.subscribe(id, 1, (job) => seen.push(job?.version ?? -1));
      await store.update(id, () => ({ progress: 0.1 }));
      await store.update(id, () => ({ progress: 0.2 }));
      expect(seen).toEqual([2, 3]);
      unsubscribe();
      await store.update(id, () => ({ progress: 0.3 }));
      expect(seen).toEqual([2, 3]);
    });

    test("subscribe catches up once on a state that was already past, and never repeats it", async () => {
      const { id } = await store.insert(newJob());
      await store.update(id, () => ({ progress: 0.5 }));
      const seen: number[] = [];
      store.subscribe(id, 1, (job) => seen.push(job?.version ?? -1));
      await store.update(id, () => ({ progress: 0.6 })); // lands before the catch-up runs
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen).toEqual([3]);
    });

    test("subscribe to a missing job ends at once", async () => {
      const ended = await new Promise((resolve) => store.subscribe("job_missing", 0, resolve));
      expect(ended).toBeUndefined();
    });

    test("list returns the account's jobs newest first, filtered and paged by position", async () => {
      const a = await store.insert(newJob());
      const b = await store.insert(newJob({ resource: { type: "build", id: "site_2", site_id: "site_2" } }));
      const c = await store.insert(newJob({ teamId: "team_2" }));
      await store.insert(newJob({ account: "acct_2" }));
      await store.update(a.id, () => ({ status: "running" }));

      const all = await store.list({ account: "acct_1", limit: 10 });
      expect(all.map((job) => job.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.list({ account: "acct_1", status: "running", limit: 10 })).map((j) => j.id)).toEqual([a.id]);
      expect((await store.list({ account: "acct_1", resourceType: "build", limit: 10 })).map((j) => j.id)).toEqual([b.id]);
      expect((await store.list({ account: "acct_1", teamId: "team_2", limit: 10 })).map((j) => j.id)).toEqual([c.id]);
      expect((await store.list({ account: "acct_1", siteId: "site_2", limit: 10 })).map((j) => j.id)).toEqual([b.id]);
      const page = await store.list({ account: "acct_1", limit: 2 });
      expect(page.map((j) => j.id)).toEqual([c.id, b.id]);
      const rest = await store.list({ account: "acct_1", limit: 2, after: page[1]! });
      expect(rest.map((j) => j.id)).toEqual([a.id]);
    });

    test("stats count jobs by status", async () => {
      const a = await store.insert(newJob());
      await store.insert(newJob());
      await store.update(a.id, () => ({ status: "succeeded", progress: 1 }));
      const stats = await store.stats();
      expect(stats).toMatchObject({ jobs: 2, inFlight: 1, byStatus: { queued: 1, running: 0, succeeded: 1, failed: 0 } });
    });
  });
}
