import type { Logger } from "pino";
import { isTerminal } from "../../api/job.js";
import { InProcessDemoRuns, type DemoRunLedger, type DemoRunRecord } from "../store/demo-runs.js";
import { StoreUnavailableError, type Inserted, type JobChange, type JobStore, type StoredJob } from "../store/types.js";
import { newResultUlid } from "../ulid.js";
import { applyPatch, type JobPatch } from "./job-rules.js";

/** Progress reported while running, as fractions of the run. */
const PROGRESS_STEPS = [0.2, 0.4, 0.6, 0.8];
/** A step the store could not take (unavailable) is tried again after this long. */
const STEP_RETRY_MS = 1_000;

export interface DemoRun {
  readonly jobId: string;
  readonly durationMs: number;
  readonly fail: boolean;
  /** What the job produces on success, e.g. `{ release_id }`. */
  readonly resultKey: string;
  readonly resultPrefix: string;
  readonly errorCode: string;
}

/**
 * What a ledger keeps of a run: enough to resume it on any instance. The outcome is
 * decided at the start (its release id too), so a step applied twice — by an instance
 * that took the run over — writes the same state, and is a no-op.
 */
interface DemoPlan {
  /** ms since the epoch; step i is due at `startedAt + (i + 1) * durationMs / steps`. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly outcome: JobPatch;
}

/**
 * The simulated worker behind the demo operations (spec §6): moves a job
 * queued → running (progress steps) → succeeded | failed over `durationMs`, through
 * the same rules a producer's PATCH obeys, so every step wakes the job's waiters.
 *
 * Each run is kept in the store's ledger under a lease this instance renews; the runs of
 * an instance that stopped renewing are taken over here and resumed where their clock
 * says they are (store/demo-runs.ts).
 */
export class DemoRunner {
  private readonly ledger: DemoRunLedger;
  /** The runs this instance is running: job id → its pending step's timer. */
  private readonly running = new Map<string, NodeJS.Timeout | undefined>();
  private readonly leaseTimer: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly logger: Logger,
    ledger?: DemoRunLedger,
  ) {
    this.ledger = ledger ?? store.demoRuns?.() ?? new InProcessDemoRuns().forInstance();
    this.leaseTimer = setInterval(() => void this.keepLeases(), Math.max(10, Math.floor(this.ledger.leaseMs / 4)));
    this.leaseTimer.unref();
  }

  /**
   * Records the run, then `insert`s its job; runs it when the insert created the job, and
   * forgets it when the insert found an earlier one (an Idempotency-Key repeat, whose own
   * run was recorded by the request that made it).
   */
  async launch(run: DemoRun, insert: () => Promise<Inserted>): Promise<Inserted> {
    const plan: DemoPlan = {
      startedAt: Date.now(),
      durationMs: run.durationMs,
      outcome: run.fail
        ? { status: "failed", error: { code: run.errorCode, message: `simulated failure of ${run.jobId}, as the request asked ("fail": true)` } }
        : { status: "succeeded", result: { [run.resultKey]: `${run.resultPrefix}_${newResultUlid()}` } },
    };
    await this.ledger.add({ jobId: run.jobId, plan });
    let inserted: Inserted;
    try {
      inserted = await insert();
    } catch (error) {
      this.forget(run.jobId);
      throw error;
    }
    if (inserted.created && !this.stopped) this.schedule(run.jobId, plan, 0);
    else this.forget(run.jobId);
    return inserted;
  }

  /** Stops running here; the runs still going are handed over at once to whoever takes them. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.leaseTimer);
    for (const timer of this.running.values()) clearTimeout(timer);
    const jobIds = [...this.running.keys()];
    this.running.clear();
    await this.ledger.release(jobIds).catch((error: unknown) => this.logger.warn({ err: error }, "demo runs: could not hand over leases"));
  }

  /** Renews this instance's leases, drops the runs another took, and takes over lapsed ones. */
  private async keepLeases(): Promise<void> {
    try {
      const mine = [...this.running.keys()];
      const held = await this.ledger.renew(mine);
      for (const jobId of mine) {
        if (held.has(jobId) || !this.running.has(jobId)) continue;
        clearTimeout(this.running.get(jobId)); // another instance runs it now
        this.running.delete(jobId);
      }
      if (this.stopped) return;
      for (const record of await this.ledger.takeOver()) this.resume(record);
    } catch (error) {
      // The store is unreachable: keep running what runs here; the next tick tries again.
      this.logger.debug({ err: error }, "demo runs: could not renew leases");
    }
  }

  private resume({ jobId, plan }: DemoRunRecord): void {
    if (this.stopped || this.running.has(jobId)) return;
    const { startedAt, durationMs, outcome } = plan as DemoPlan;
    const steps = PROGRESS_STEPS.length + 2;
    // The latest step already due is applied at once (it carries the earlier ones' effect).
    const due = durationMs === 0 ? steps : Math.min(steps, Math.floor((Date.now() - startedAt) / (durationMs / steps)));
    this.logger.info({ job_id: jobId, step: due }, "demo run taken over");
    this.schedule(jobId, { startedAt, durationMs, outcome }, Math.max(0, due - 1));
  }

  /** Schedules step `index` of the run at its due time on the run's clock (at once if past), not before `notBefore`. */
  private schedule(jobId: string, plan: DemoPlan, index: number, notBefore = 0): void {
    const patches: JobPatch[] = [
      { status: "running", progress: 0.1 },
      ...PROGRESS_STEPS.map((progress) => ({ status: "running" as const, progress })),
      plan.outcome,
    ];
    const patch = patches[index];
    if (patch === undefined || this.stopped) return this.forget(jobId);
    const stepMs = plan.durationMs / patches.length;
    const now = Date.now();
    const delay = Math.max(0, plan.startedAt + (index + 1) * stepMs - now, notBefore - now);
    const timer: NodeJS.Timeout = setTimeout(() => void this.step(jobId, plan, index, patch, timer), delay);
    this.running.set(jobId, timer);
  }

  /** Applies step `index` (its timer is `timer`, still this run's unless the run was dropped), then schedules the next. */
  private async step(jobId: string, plan: DemoPlan, index: number, patch: JobPatch, timer: NodeJS.Timeout): Promise<void> {
    if (this.running.get(jobId) !== timer) return;
    let job: StoredJob | undefined;
    try {
      job = await this.store.update(jobId, (current) => stepChange(current, patch));
    } catch (error) {
      if (this.running.get(jobId) !== timer) return;
      if (error instanceof StoreUnavailableError) return this.schedule(jobId, plan, index, Date.now() + STEP_RETRY_MS);
      // A producer changed the job in a way this run cannot follow: the simulation stops.
      this.logger.debug({ job_id: jobId, err: error }, "demo run stopped");
      return this.forget(jobId);
    }
    if (this.running.get(jobId) !== timer) return;
    if (job === undefined || isTerminal(job.status)) return this.forget(jobId); // gone, or finished
    this.schedule(jobId, plan, index + 1);
  }

  /** The run is over here, and in the ledger. */
  private forget(jobId: string): void {
    clearTimeout(this.running.get(jobId));
    this.running.delete(jobId);
    void this.ledger.remove(jobId).catch((error: unknown) => this.logger.debug({ err: error, job_id: jobId }, "demo runs: could not remove a finished run"));
  }
}

/**
 * A step's change to the job: nothing when the job is already past the step (finished, or
 * further along — a run resumed by another instance), else the step through PATCH's rules.
 */
function stepChange(current: StoredJob, patch: JobPatch): JobChange | undefined {
  if (isTerminal(current.status)) return undefined;
  if (patch.progress !== undefined && current.progress > patch.progress) return undefined;
  return applyPatch(current, patch);
}
