import type { Logger } from "pino";
import type { JobStatus } from "../api/job.js";
import type { ModeRoutes } from "./http/app.js";
import { HoldQuota } from "./http/hold-quota.js";
import { RequestLog } from "./http/request-context.js";
import { StreamBudget } from "./http/stream-budget.js";
import { Lifecycle } from "./lifecycle.js";
import { ServerMetrics } from "./metrics.js";
import type { GetJobHandler } from "./routes/get-job.js";
import type { NormalizedServeOptions } from "./serve-options.js";
import type { JobStore } from "./store/types.js";

/** What the server needs of a mode (standalone or proxy): its routes, its health, its end. */
export interface ServeMode extends ModeRoutes {
  /** The bare `GET|HEAD /v1/jobs/{id}`, answered ahead of Express. */
  readonly getJob: GetJobHandler;
  /** The job store (standalone mode); undefined in proxy mode. */
  readonly store: JobStore | undefined;
  /** Jobs held, by status, for /metrics. */
  jobsByStatus(): Promise<Readonly<Record<JobStatus, number>>>;
  /** Resolves while the mode can serve; rejects saying why not (/healthz). */
  checkHealth(): Promise<void>;
  stop(): Promise<void>;
}

/** What every mode is built from. */
export interface ModeDeps {
  readonly options: NormalizedServeOptions;
  readonly metrics: ServerMetrics;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly requests: RequestLog;
  /** `--max-holds-per-key`, shared by long-polls and streams. */
  readonly holds: HoldQuota;
  /** `--stream-buffer` and `--stream-buffer-total`. */
  readonly streams: StreamBudget;
}

/** A mode's collaborators for `options`, fresh: what the server builds, and what tests of a mode use. */
export function createModeDeps(options: NormalizedServeOptions, logger: Logger): ModeDeps {
  const metrics = new ServerMetrics();
  return {
    options,
    metrics,
    lifecycle: new Lifecycle(),
    logger,
    requests: new RequestLog(metrics, logger),
    holds: new HoldQuota(options.maxHoldsPerKey),
    streams: new StreamBudget(options.streamBufferBytes, options.streamBufferTotalBytes, metrics),
  };
}
