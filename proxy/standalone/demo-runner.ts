import type { Logger } from "pino";
import { applyPatch, type JobPatch } from "./job-rules.js";
import type { JobStore } from "../store/types.js";
import { newResultUlid } from "../ulid.js";

/** Progress reported while running, as fractions of the run. */
const PROGRESS_STEPS = [0.2, 0.4, 0.6, 0.8];

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
 * The simulated worker behind the demo operations (spec §6): moves a job
 * queued → running (progress steps) → succeeded | failed over `durationMs`, through
 * the same rules a producer's PATCH obeys, so every step wakes the job's waiters.
 */
export class DemoRunner {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: JobStore,
    private readonly logger: Logger,
  ) {}

  start(run: DemoRun): void {
    const step = run.durationMs / (PROGRESS_STEPS.length + 2);
    const patches: JobPatch[] = [
      { status: "running", progress: 0.1 },
      ...PROGRESS_STEPS.map((progress) => ({ progress })),
      run.fail
        ? {
            status: "failed" as const,
            error: { code: run.errorCode, message: `simulated failure of ${run.jobId}, as the request asked ("fail": true)` },
          }
        : { status: "succeeded" as const, result: { [run.resultKey]: `${run.resultPrefix}_${newResultUlid()}` } },
    ];
    this.schedule(run.jobId, patches, step);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(jobId: string, patches: JobPatch[], stepMs: number): void {
    const [patch, ...rest] = patches;
    if (patch === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.step(jobId, patch, rest, stepMs);
    }, stepMs);
    this.timers.add(timer);
  }

  private async step(jobId: string, patch: JobPatch, rest: JobPatch[], stepMs: number): Promise<void> {
    try {
      const job = await this.store.update(jobId, (current) => applyPatch(current, patch));
      if (job !== undefined) this.schedule(jobId, rest, stepMs);
    } catch (error) {
      // A producer may have finished the job first; the simulation then stops.
      this.logger.debug({ job_id: jobId, err: error }, "demo run stopped");
    }
  }
}
