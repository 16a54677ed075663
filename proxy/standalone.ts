/**
 * Standalone mode (the embedded default): jobs live in this process's store; the keys
 * file says who may read, publish and operate.
 */
import type { Logger } from "pino";
import { READ_PATHS, type ModeRoutes } from "./app.js";
import { CursorCodec } from "./cursor.js";
import { DemoRunner } from "./demo-runner.js";
import { IdempotencyKeys } from "./idempotency.js";
import type { JobSource } from "./job-source.js";
import type { KeyRing } from "./keys.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ServerMetrics } from "./metrics.js";
import { createListJobsRouter } from "./routes/list-jobs.js";
import { createOperationsRouter } from "./routes/operations.js";
import { createPublishRouter } from "./routes/publish.js";
import { createStreamJobRouter } from "./routes/stream-job.js";
import type { NormalizedServeOptions } from "./serve-options.js";
import { StandaloneJobSource } from "./standalone-source.js";
import type { JobStore } from "./store/types.js";

export interface StandaloneMode extends ModeRoutes {
  readonly source: JobSource;
  readonly store: JobStore;
  stop(): Promise<void>;
}

export function createStandaloneMode(deps: {
  keys: KeyRing;
  store: JobStore;
  options: NormalizedServeOptions;
  metrics: ServerMetrics;
  lifecycle: Lifecycle;
  logger: Logger;
}): StandaloneMode {
  const { keys, store, options, metrics, lifecycle, logger } = deps;
  const source = new StandaloneJobSource(keys, store);
  const runner = new DemoRunner(store, logger);
  return {
    source,
    store,
    routers: [
      createListJobsRouter({ store, keys, cursors: new CursorCodec() }),
      createStreamJobRouter({ source, options, metrics, lifecycle, logger }),
      createPublishRouter({ store, keys }),
      createOperationsRouter({ store, keys, runner, idempotency: new IdempotencyKeys(), defaultDurationMs: options.operationDurationMs }),
    ],
    allowedMethods: [
      ...READ_PATHS,
      ["/internal/v1/jobs", "POST"],
      ["/internal/v1/jobs/:jobID", "PATCH"],
      ["/v1/sites/:site_id/deploys", "POST"],
      ["/v1/sites/:site_id/environments/:env_id/deploys", "POST"],
      ["/v1/sites/:site_id/builds", "POST"],
    ],
    async stop() {
      runner.stop();
      await store.close();
    },
  };
}
