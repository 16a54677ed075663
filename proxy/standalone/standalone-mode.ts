/**
 * Standalone mode (the embedded default): jobs live in the store; the keys file says who
 * may read, publish and operate.
 */
import { READ_PATHS } from "../http/app.js";
import type { ModeDeps, ServeMode } from "../mode.js";
import { createGetJobHandler } from "../routes/get-job.js";
import { createListJobsRouter } from "../routes/list-jobs.js";
import { createOperationsRouter } from "../routes/operations.js";
import { createPublishRouter } from "../routes/publish.js";
import { createStreamJobRouter } from "../routes/stream-job.js";
import type { JobStore } from "../store/types.js";
import type { KeyRing } from "../tenancy/keys.js";
import { CursorCodec } from "./cursor.js";
import { DemoRunner } from "./demo-runner.js";
import { standaloneReadSide } from "./standalone-source.js";

/** `ownsStore`: the mode opened the store, so it closes it on stop (a store given by an embedding outlives the server). */
export function createStandaloneMode(deps: ModeDeps & { keys: KeyRing; store: JobStore; ownsStore: boolean }): ServeMode {
  const { keys, store, options, logger } = deps;
  const read = standaloneReadSide(keys, store);
  const runner = new DemoRunner(store, logger);
  return {
    getJob: createGetJobHandler({ ...deps, read }),
    store,
    routers: [
      createListJobsRouter({ store, keys, cursors: new CursorCodec(() => store.cursorSecret()) }),
      createStreamJobRouter({ ...deps, read }),
      createPublishRouter({ store, keys }),
      createOperationsRouter({ store, keys, runner, defaultDurationMs: options.operationDurationMs }),
    ],
    allowedMethods: [
      ...READ_PATHS,
      ["/internal/v1/jobs", "POST"],
      ["/internal/v1/jobs/:jobID", "PATCH"],
      ["/v1/sites/:site_id/deploys", "POST"],
      ["/v1/sites/:site_id/environments/:env_id/deploys", "POST"],
      ["/v1/sites/:site_id/builds", "POST"],
    ],
    jobsByStatus: async () => (await store.stats()).byStatus,
    checkHealth: () => store.checkHealth(),
    async stop() {
      await runner.stop();
      if (deps.ownsStore) await store.close();
    },
  };
}
