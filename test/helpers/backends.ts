/**
 * The store backends the API suites run on (test/suites/): memory, and PostgreSQL over a
 * cluster the calling test file started. Each `start` is a real server over a fresh,
 * empty store of that backend.
 */
import type { ServeOptions } from "../../proxy/serve-options.js";
import type { ServerDeps } from "../../proxy/server.js";
import type { PostgresCluster } from "./postgres.js";
import { startTestServer, type TestServer } from "./server.js";

export interface TestBackend {
  /** As test titles show it. */
  readonly name: string;
  /** A server on an ephemeral port over a fresh, empty store (its own: a second one shares nothing with the first). */
  start(options?: ServeOptions, deps?: ServerDeps): Promise<TestServer>;
}

export const memoryBackend: TestBackend = {
  name: "memory",
  start: (options = {}, deps = {}) => startTestServer(options, deps),
};

/** PostgreSQL: each server on a new database of `cluster()` (a function: the cluster starts in a beforeAll). */
export function postgresBackend(cluster: () => PostgresCluster): TestBackend {
  return {
    name: "PostgreSQL",
    start: async (options = {}, deps = {}) => startTestServer({ store: await cluster().createDatabase(), ...options }, deps),
  };
}
