import type { Logger } from "pino";
import type { JobStatus } from "../api/job.js";
import type { ModeRoutes } from "./http/app.js";
import type { RequestLog } from "./http/request-context.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ServerMetrics } from "./metrics.js";
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
}
