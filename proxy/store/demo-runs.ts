/**
 * Where demo runs (spec §6) are kept while they run, so that when the instance running
 * one stops — even by `kill -9` — another instance over the same store takes it over
 * (spec §8: within 30 s). The simulation itself lives in standalone/demo-runner.ts; a
 * ledger only keeps its plan (opaque JSON) under a lease:
 *
 * - the instance that records or takes over a run holds its lease and renews it while it
 *   runs it; a lease not renewed for `leaseMs` lapses, and any instance may take the run;
 * - a run is recorded before its job is inserted, so a crash between the two leaves a run
 *   without a job (whoever takes it over drops it), never a job nobody runs;
 * - two instances may briefly run the same job (a lease lost while its holder was cut off):
 *   each step is idempotent and every write is a version compare-and-set, so that is harmless.
 */

/** How long a lease lasts unless renewed; an instance renews at a quarter of it. */
export const DEMO_LEASE_MS = 10_000;

export interface DemoRunRecord {
  readonly jobId: string;
  /** What the runner needs to resume the run anywhere (JSON). */
  readonly plan: unknown;
}

export interface DemoRunLedger {
  /** How long a lease lasts unless renewed. */
  readonly leaseMs: number;
  /** Records a run leased to this instance (before its job exists). */
  add(record: DemoRunRecord): Promise<void>;
  /** Extends the leases of these runs; resolves with those this instance still holds. */
  renew(jobIds: readonly string[]): Promise<Set<string>>;
  /** Leases to this instance the runs whose lease lapsed, and returns them. */
  takeOver(): Promise<DemoRunRecord[]>;
  /** The run is over (its job finished or is gone). */
  remove(jobId: string): Promise<void>;
  /** Gives up these leases at once, for another instance to take over (a graceful stop). */
  release(jobIds: readonly string[]): Promise<void>;
}

/** A ledger in this process's memory, over the runs of one or more instances sharing it. */
export class InProcessDemoRuns {
  private readonly runs = new Map<string, { plan: unknown; owner: symbol; leaseUntil: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The ledger of one instance (its own lease holder) over these runs. */
  forInstance(leaseMs = DEMO_LEASE_MS): DemoRunLedger {
    const owner = Symbol("instance");
    const runs = this.runs;
    const now = this.now;
    return {
      leaseMs,
      async add({ jobId, plan }) {
        runs.set(jobId, { plan, owner, leaseUntil: now() + leaseMs });
      },
      async renew(jobIds) {
        const held = new Set<string>();
        for (const jobId of jobIds) {
          const run = runs.get(jobId);
          if (run === undefined || run.owner !== owner) continue;
          run.leaseUntil = now() + leaseMs;
          held.add(jobId);
        }
        return held;
      },
      async takeOver() {
        const taken: DemoRunRecord[] = [];
        for (const [jobId, run] of runs) {
          if (run.leaseUntil > now()) continue;
          run.owner = owner;
          run.leaseUntil = now() + leaseMs;
          taken.push({ jobId, plan: run.plan });
        }
        return taken;
      },
      async remove(jobId) {
        runs.delete(jobId);
      },
      async release(jobIds) {
        for (const jobId of jobIds) {
          const run = runs.get(jobId);
          if (run !== undefined && run.owner === owner) run.leaseUntil = 0;
        }
      },
    };
  }
}
