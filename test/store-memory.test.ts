import { MemoryJobStore } from "../proxy/store/memory.js";
import { StoreFullError } from "../proxy/store/types.js";
import { describeJobStoreContract, newJob } from "./store-contract.js";

describeJobStoreContract("memory", () => new MemoryJobStore());

describe("memory store bounds (spec §8)", () => {
  test("in-flight jobs are never evicted: a full store of in-flight jobs refuses new ones", async () => {
    const store = new MemoryJobStore({ maxJobs: 3 });
    const jobs = [await store.insert(newJob()), await store.insert(newJob()), await store.insert(newJob())];
    await expect(store.insert(newJob())).rejects.toBeInstanceOf(StoreFullError);
    for (const job of jobs) expect(await store.get(job.id)).toBeDefined();
    await store.close();
  });

  test("a finished job makes room: the least recently used finished job is evicted", async () => {
    const store = new MemoryJobStore({ maxJobs: 3 });
    const [a, b, c] = [await store.insert(newJob()), await store.insert(newJob()), await store.insert(newJob())];
    await store.update(a.id, () => ({ status: "succeeded", progress: 1 }));
    await store.update(b.id, () => ({ status: "failed", error: { code: "x", message: "y" } }));
    await store.get(a.id); // a is now more recently used than b
    const d = await store.insert(newJob());
    expect(await store.get(b.id)).toBeUndefined();
    expect(await store.get(a.id)).toBeDefined();
    expect(await store.get(c.id)).toBeDefined();
    expect(await store.get(d.id)).toBeDefined();
    expect((await store.list({ account: "acct_1", limit: 10 })).map((j) => j.id)).toEqual([d.id, c.id, a.id]);
    await store.close();
  });

  test("finished jobs expire after the retention; in-flight ones never do", async () => {
    let now = 1_000_000;
    const store = new MemoryJobStore({ retentionMs: 60_000, now: () => now });
    const done = await store.insert(newJob());
    const running = await store.insert(newJob());
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
    const job = await store.insert(newJob());
    await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
    const wait = store.waitForChange(job.id, 2, new AbortController().signal);
    await store.insert(newJob());
    await expect(wait).resolves.toBeUndefined();
    await store.close();
  });

  test("memory stays bounded under many published-and-finished jobs", async () => {
    const store = new MemoryJobStore({ maxJobs: 1000 });
    for (let i = 0; i < 10_000; i++) {
      const job = await store.insert(newJob());
      await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
    }
    const stats = await store.stats();
    expect(stats.jobs).toBe(1000);
    expect((await store.list({ account: "acct_1", limit: 100_000 })).length).toBe(1000);
    await store.close();
  });
});

test("an id published again after its job was evicted is listed once", async () => {
  const store = new MemoryJobStore({ maxJobs: 2 });
  const first = await store.insert(newJob());
  await store.update(first.id, () => ({ status: "succeeded", progress: 1 }));
  const other = await store.insert(newJob());
  await store.update(other.id, () => ({ status: "succeeded", progress: 1 }));
  await store.insert(newJob()); // evicts `first`
  expect(await store.get(first.id)).toBeUndefined();
  await store.update(other.id, () => undefined);
  const again = await store.insert(newJob({ id: first.id }));
  const listed = (await store.list({ account: "acct_1", limit: 10 })).map((job) => job.id);
  expect(listed.filter((id) => id === again.id)).toHaveLength(1);
  expect(listed).toHaveLength(2);
  await store.close();
});

test("an evicted id taken over by another account in the same millisecond never lists under the first", async () => {
  const store = new MemoryJobStore({ maxJobs: 2, now: () => 1_000 });
  const mine = await store.insert(newJob());
  await store.update(mine.id, () => ({ status: "succeeded", progress: 1 }));
  const kept = await store.insert(newJob());
  await store.update(kept.id, () => ({ status: "succeeded", progress: 1 }));
  await store.get(kept.id); // `mine` is now the least recently used
  const filler = await store.insert(newJob()); // evicts `mine`
  await store.update(filler.id, () => ({ status: "succeeded", progress: 1 }));
  await store.get(filler.id);
  const theirs = await store.insert(newJob({ id: mine.id, account: "acct_2" })); // evicts `kept`, same createdAt as `mine`
  expect((await store.list({ account: "acct_1", limit: 10 })).map((job) => job.id)).toEqual([filler.id]);
  expect((await store.list({ account: "acct_2", limit: 10 })).map((job) => job.id)).toEqual([theirs.id]);
  await store.close();
});

test("a subscriber to an evicted job is told it is gone", async () => {
  const store = new MemoryJobStore({ maxJobs: 1 });
  const job = await store.insert(newJob());
  await store.update(job.id, () => ({ status: "succeeded", progress: 1 }));
  const gone = new Promise((resolve) => store.subscribe(job.id, 2, resolve));
  await store.insert(newJob());
  await expect(gone).resolves.toBeUndefined();
  await store.close();
});
