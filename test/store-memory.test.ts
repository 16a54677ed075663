import { MemoryJobStore } from "../proxy/store/memory.js";
import { StoreFullError } from "../proxy/store/types.js";
import { describeJobStoreContract, newJob } from "./store-contract.js";

describeJobStoreContract("memory", {
  create: async (bounds) => new MemoryJobStore(bounds),
  createPair: async () => {
    const first = new MemoryJobStore();
    return [first, first.replica()];
  },
});

/** Inserts and returns the job. */
async function add(store: MemoryJobStore, overrides: Parameters<typeof newJob>[0] = {}) {
  return (await store.insert(newJob(overrides))).job;
}

describe("memory store bounds (spec §8)", () => {
  test("in-flight jobs are never evicted: a full store of in-flight jobs refuses new ones", async () => {
    const store = new MemoryJobStore({ maxJobs: 3 });
    const jobs = [await add(store), await add(store), await add(store)];
    await expect(store.insert(newJob())).rejects.toBeInstanceOf(StoreFullError);
    for (const job of jobs) expect(await store.get(job.id)).toBeDefined();
    await store.close();
  });

  test("a finished job makes room: the one that finished first is evicted, and reads change nothing", async () => {
    const store = new MemoryJobStore({ maxJobs: 3 });
    const [a, b, c] = [await add(store), await add(store), await add(store)];
    await store.update(b.id, () => ({ status: "failed", error: { code: "x", message: "y" } }));
    await store.update(a.id, () => ({ status: "succeeded", progress: 1 }));
    await store.get(b.id); // a read keeps nothing alive (spec §2: reading changes nothing the store keeps)
    store.getCached(b.id);
    const d = await add(store);
    expect(await store.get(b.id)).toBeUndefined();
    expect(await store.get(a.id)).toBeDefined();
    expect(await store.get(c.id)).toBeDefined();
    expect(await store.get(d.id)).toBeDefined();
    expect((await store.list({ scope: { account: "acct_1" }, limit: 10 })).map((j) => j.id)).toEqual([d.id, c.id, a.id]);
    await store.close();
  });

  test("finished jobs expire after the retention; in-flight ones never do", async () => {
    let now = 1_000_000;
    const store = new MemoryJobStore({ retentionMs: 60_000, now: () => now });
    const done = await add(store);
    const running = await add(store);
    await store.update(done.id, () => ({ status: "succeeded", progress: 1 }));
    now += 59_000;
    expect(await store.get(done.id)).toBeDefined();
    now += 2_000;
    expect(await store.get(done.id)).toBeUndefined();
    expect(await store.get(running.id)).toBeDefined();
    await store.close();
  });

  test("a waiter on an evicted job is released with undefined", async () => {
    const store = new MemoryJobStore({ maxJobs: 1 });
    const job = await add(store);
    await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
    const wait = store.waitForChange(job.id, 2, new AbortController().signal);
    await add(store);
    await expect(wait).resolves.toBeUndefined();
    await store.close();
  });

  test("memory stays bounded under many published-and-finished jobs", async () => {
    const store = new MemoryJobStore({ maxJobs: 1000 });
    for (let i = 0; i < 10_000; i++) {
      const job = await add(store);
      await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
    }
    const stats = await store.stats();
    expect(stats.jobs).toBe(1000);
    expect((await store.list({ scope: { account: "acct_1" }, limit: 100_000 })).length).toBe(1000);
    await store.close();
  });
});

test("an id published again after its job was evicted is listed once", async () => {
  const store = new MemoryJobStore({ maxJobs: 2 });
  const first = await add(store);
  await store.update(first.id, () => ({ status: "succeeded", progress: 1 }));
  const other = await add(store);
  await store.update(other.id, () => ({ status: "succeeded", progress: 1 }));
  await add(store); // evicts `first`
  expect(await store.get(first.id)).toBeUndefined();
  await store.update(other.id, () => undefined);
  const again = await add(store, { id: first.id });
  const listed = (await store.list({ scope: { account: "acct_1" }, limit: 10 })).map((job) => job.id);
  expect(listed.filter((id) => id === again.id)).toHaveLength(1);
  expect(listed).toHaveLength(2);
  await store.close();
});

test("an evicted id taken over by another account in the same millisecond never lists under the first", async () => {
  const store = new MemoryJobStore({ maxJobs: 2, now: () => 1_000 });
  const mine = await add(store);
  await store.update(mine.id, () => ({ status: "succeeded", progress: 1 }));
  const kept = await add(store);
  await store.update(kept.id, () => ({ status: "succeeded", progress: 1 }));
  const filler = await add(store); // evicts `mine`
  await store.update(filler.id, () => ({ status: "succeeded", progress: 1 }));
  const theirs = await add(store, { id: mine.id, account: "acct_2" }); // evicts `kept`, same createdAt as `mine`
  expect((await store.list({ scope: { account: "acct_1" }, limit: 10 })).map((job) => job.id)).toEqual([filler.id]);
  expect((await store.list({ scope: { account: "acct_2" }, limit: 10 })).map((job) => job.id)).toEqual([theirs.id]);
  await store.close();
});

test("a subscriber to an evicted job is told it is gone", async () => {
  const store = new MemoryJobStore({ maxJobs: 1 });
  const job = await add(store);
  await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
  const gone = new Promise((resolve) => store.subscribe(job.id, 2, { onChange: () => undefined, onEnd: resolve }));
  await add(store);
  await expect(gone).resolves.toBeUndefined();
  await store.close();
});
