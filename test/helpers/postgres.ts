/**
 * PostgreSQL for the suites that need a real one (bench/lib/postgres-cluster.ts starts
 * it): one throwaway cluster per test file (`usePostgresCluster()`), a fresh database per
 * test where the test needs one. Without the binaries the suites skip with a loud
 * warning — except in CI (CI set), where they must run and a missing PostgreSQL fails.
 */
import { findPostgresBinaries, MIN_POSTGRES_MAJOR, startPostgresCluster, type PostgresCluster } from "../../bench/lib/postgres-cluster.js";

export { TEST_DB_USER, type PostgresCluster } from "../../bench/lib/postgres-cluster.js";

export const postgresBinaries = findPostgresBinaries();

if (postgresBinaries === undefined && process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false") {
  // CI must run these suites: .ci/run installs PostgreSQL when it is missing.
  throw new Error(
    `CI is set and there is no PostgreSQL >= ${MIN_POSTGRES_MAJOR} (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin; .ci/run installs it`,
  );
}
if (postgresBinaries === undefined) {
  const lines = [
    `SKIPPING the PostgreSQL suites: no PostgreSQL >= ${MIN_POSTGRES_MAJOR} (initdb, pg_ctl, postgres)`,
    "on PATH or in /usr/lib/postgresql/*/bin. The shared store did NOT get tested.",
    "Install it (Debian: apt-get install postgresql); CI (.ci/run) does.",
  ];
  const width = Math.max(...lines.map((line) => line.length)) + 6;
  const rule = "#".repeat(width);
  console.warn(`\n${rule}\n${lines.map((line) => `#  ${line.padEnd(width - 6)}  #`).join("\n")}\n${rule}\n`);
}

/** `describe` when PostgreSQL is installed, else `describe.skip` (after the warning above). */
export const describeWithPostgres: typeof describe = postgresBinaries !== undefined ? describe : describe.skip;

/**
 * A cluster for this test file: started before its tests (only when PostgreSQL is
 * installed: the suites skip otherwise), destroyed after them. Returns its getter.
 */
export function usePostgresCluster(): () => PostgresCluster {
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    if (postgresBinaries !== undefined) cluster = await startPostgresCluster();
  }, 60_000);
  afterAll(() => cluster?.destroy());
  return () => {
    if (cluster === undefined) throw new Error("no PostgreSQL cluster: it is not installed, or it failed to start (see above)");
    return cluster;
  };
}
