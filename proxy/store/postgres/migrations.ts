/**
 * The PostgreSQL store's schema, as numbered migrations applied in order (spec §8):
 * `jobgate serve` applies what is missing at start, `jobgate store migrate` alone.
 * Idempotent (each version is applied once, recorded in `jobgate.schema_migrations`),
 * each in its own transaction, and safe when several replicas start at once: they queue
 * on one advisory lock and the later ones find nothing left to do.
 *
 * Rules for a new migration: append it (never edit an applied one); keep it additive so
 * that replicas still on the previous version keep working during a rolling upgrade.
 */
import type { Logger } from "pino";
import pg, { type Pool, type PoolClient } from "pg";
import { JOB_STATUSES } from "../../../api/job.js";
import { clientConfig } from "./connection.js";
import { isUnavailable, storeError } from "./errors.js";

/** Everything the store keeps lives in this schema. */
export const SCHEMA = "jobgate";
/** `pg_advisory_lock` key held while migrating ("jobg" + 1). */
const MIGRATION_LOCK = 0x6a6f6267_00000001n;
/** Rows of `job_counts`: each connection counts into one (its backend pid modulo this), so no two writers queue on one row. */
export const COUNT_SHARDS = 16;

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const STATUS_LIST = JOB_STATUSES.map((status) => `'${status}'`).join(", ");

/**
 * The list indexes: one pair per visibility pin (none, team, site, team and site), each
 * ending in (created_at, id) so a page is a bounded backward index scan. `status` comes
 * last before the order: a status filter is an equality on it, and no status filter is a
 * merge of one scan per status (4 values) — so the cost of a page grows with the page,
 * never with the jobs the key cannot see or the filters exclude (spec §4).
 */
const PINS: readonly (readonly string[])[] = [[], ["team_id"], ["site_id"], ["team_id", "site_id"]];
const LIST_INDEXES = PINS.flatMap((pin) => {
  const name = ["account", ...pin.map((column) => column.replace("_id", ""))].join("_");
  const prefix = ["account", ...pin].join(", ");
  return [
    `CREATE INDEX jobs_list_${name} ON ${SCHEMA}.jobs (${prefix}, status, created_at, id);`,
    `CREATE INDEX jobs_list_${name}_type ON ${SCHEMA}.jobs (${prefix}, resource_type, status, created_at, id);`,
  ];
}).join("\n");

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "jobs with list indexes, job and account counts, idempotency keys, settings, demo runs",
    sql: `
-- Text compared for order or equality is COLLATE "C": byte order, as the memory store
-- sorts, and the cheapest comparison.
CREATE TABLE ${SCHEMA}.jobs (
  id            text COLLATE "C" PRIMARY KEY,
  account       text COLLATE "C" NOT NULL,
  team_id       text COLLATE "C" NOT NULL,
  type          text NOT NULL,
  resource_type text COLLATE "C" NOT NULL,
  resource_id   text NOT NULL,
  site_id       text COLLATE "C" NOT NULL,
  env_id        text,
  status        text COLLATE "C" NOT NULL CHECK (status IN (${STATUS_LIST})),
  progress      double precision NOT NULL CHECK (progress >= 0 AND progress <= 1),
  -- json, not jsonb: the producer's key order is kept.
  result        json,
  error         json,
  version       integer NOT NULL CHECK (version >= 1),
  -- ms since the epoch, on the database's clock (one clock for every replica).
  created_at    bigint NOT NULL,
  -- When the job finished (ms, for --retention), and in which order jobs finished (exact,
  -- for eviction: oldest finished first); both null while in flight.
  finished_at   bigint,
  finish_order  bigint,
  CHECK ((finished_at IS NULL) = (status IN ('queued', 'running'))),
  CHECK ((finish_order IS NULL) = (finished_at IS NULL))
) WITH (fillfactor = 80);
CREATE SEQUENCE ${SCHEMA}.finish_order;
${LIST_INDEXES}
-- Finished jobs, oldest first: what --retention expires (all accounts) and the bounds evict (an
-- account's own). In-flight jobs are in neither: they are never evicted.
CREATE INDEX jobs_finished ON ${SCHEMA}.jobs (finished_at, id) WHERE finished_at IS NOT NULL;
CREATE INDEX jobs_finished_by_account ON ${SCHEMA}.jobs (account, finish_order) WHERE finish_order IS NOT NULL;

-- Counts kept as counters (stats, the bounds): no scan of jobs. Each connection counts into
-- its own shard (its backend pid modulo ${COUNT_SHARDS}), so writers do not queue on one row.
CREATE TABLE ${SCHEMA}.job_counts (
  shard     integer PRIMARY KEY,
  queued    bigint NOT NULL DEFAULT 0,
  running   bigint NOT NULL DEFAULT 0,
  succeeded bigint NOT NULL DEFAULT 0,
  failed    bigint NOT NULL DEFAULT 0
);
INSERT INTO ${SCHEMA}.job_counts (shard) SELECT generate_series(0, ${COUNT_SHARDS - 1});
-- Per account, for --max-account-jobs and for choosing whom the global bound evicts.
CREATE TABLE ${SCHEMA}.account_counts (
  account   text COLLATE "C" NOT NULL,
  shard     integer NOT NULL,
  in_flight bigint NOT NULL DEFAULT 0,
  finished  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (account, shard)
);

-- Kept by statement-level triggers over transition tables: a statement touching many rows
-- (a sweep, an operator's bulk change) updates each counter row once, not once per row.
CREATE FUNCTION ${SCHEMA}.count_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  q bigint := 0; r bigint := 0; s bigint := 0; f bigint := 0;
  here integer := pg_backend_pid() % ${COUNT_SHARDS};
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FILTER (WHERE status = 'running'),
           count(*) FILTER (WHERE status = 'succeeded'), count(*) FILTER (WHERE status = 'failed')
      INTO q, r, s, f FROM added;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT q - count(*) FILTER (WHERE status = 'queued'), r - count(*) FILTER (WHERE status = 'running'),
           s - count(*) FILTER (WHERE status = 'succeeded'), f - count(*) FILTER (WHERE status = 'failed')
      INTO q, r, s, f FROM removed;
  END IF;
  IF q <> 0 OR r <> 0 OR s <> 0 OR f <> 0 THEN
    UPDATE ${SCHEMA}.job_counts
       SET queued = queued + q, running = running + r, succeeded = succeeded + s, failed = failed + f
     WHERE shard = here;
  END IF;
  -- Per account: rows in account order, so two statements lock common rows in one order.
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${SCHEMA}.account_counts AS c (account, shard, in_flight, finished)
    SELECT account, here, count(*) FILTER (WHERE status IN ('queued', 'running')), count(*) FILTER (WHERE status IN ('succeeded', 'failed'))
      FROM added GROUP BY account ORDER BY account
    ON CONFLICT (account, shard) DO UPDATE SET in_flight = c.in_flight + EXCLUDED.in_flight, finished = c.finished + EXCLUDED.finished;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO ${SCHEMA}.account_counts AS c (account, shard, in_flight, finished)
    SELECT account, here, -count(*) FILTER (WHERE status IN ('queued', 'running')), -count(*) FILTER (WHERE status IN ('succeeded', 'failed'))
      FROM removed GROUP BY account ORDER BY account
    ON CONFLICT (account, shard) DO UPDATE SET in_flight = c.in_flight + EXCLUDED.in_flight, finished = c.finished + EXCLUDED.finished;
  ELSIF s <> 0 OR f <> 0 THEN
    -- An update moves jobs between in flight and finished only when one finishes.
    INSERT INTO ${SCHEMA}.account_counts AS c (account, shard, in_flight, finished)
    SELECT account, here, -sum(done), sum(done) FROM (
      SELECT account, CASE WHEN status IN ('succeeded', 'failed') THEN 1 ELSE 0 END AS done FROM added
      UNION ALL
      SELECT account, CASE WHEN status IN ('succeeded', 'failed') THEN -1 ELSE 0 END FROM removed
    ) moved GROUP BY account HAVING sum(done) <> 0 ORDER BY account
    ON CONFLICT (account, shard) DO UPDATE SET in_flight = c.in_flight + EXCLUDED.in_flight, finished = c.finished + EXCLUDED.finished;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION ${SCHEMA}.count_jobs_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ${SCHEMA}.job_counts SET queued = 0, running = 0, succeeded = 0, failed = 0;
  DELETE FROM ${SCHEMA}.account_counts;
  RETURN NULL;
END $$;

CREATE TRIGGER jobs_counted_insert AFTER INSERT ON ${SCHEMA}.jobs
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.count_jobs();
CREATE TRIGGER jobs_counted_update AFTER UPDATE ON ${SCHEMA}.jobs
  REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.count_jobs();
CREATE TRIGGER jobs_counted_delete AFTER DELETE ON ${SCHEMA}.jobs
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.count_jobs();
CREATE TRIGGER jobs_counted_truncate AFTER TRUNCATE ON ${SCHEMA}.jobs FOR EACH STATEMENT EXECUTE FUNCTION ${SCHEMA}.count_jobs_truncated();

-- Idempotency-Keys (spec §6, §8): per account, kept at least 24 h, bounded per account.
CREATE TABLE ${SCHEMA}.idempotency_keys (
  account     text COLLATE "C" NOT NULL,
  key         text COLLATE "C" NOT NULL,
  fingerprint text NOT NULL,
  job_id      text NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (account, key)
);
CREATE INDEX idempotency_keys_age ON ${SCHEMA}.idempotency_keys (created_at);
CREATE INDEX idempotency_keys_account_age ON ${SCHEMA}.idempotency_keys (account, created_at);

-- Values every replica shares (the list cursor's signing secret).
CREATE TABLE ${SCHEMA}.settings (
  name  text PRIMARY KEY,
  value bytea NOT NULL
);

-- Demo runs (spec §6) under a lease, so another replica takes over those of one that stopped.
CREATE TABLE ${SCHEMA}.demo_runs (
  job_id      text COLLATE "C" PRIMARY KEY,
  plan        json NOT NULL,
  owner       text NOT NULL,
  lease_until timestamptz NOT NULL
);
CREATE INDEX demo_runs_lease ON ${SCHEMA}.demo_runs (lease_until);
`,
  },
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface MigrationReport {
  /** The schema version before. */
  readonly from: number;
  /** The schema version now (the database's, which may be newer than this build's). */
  readonly to: number;
  /** The migrations this call applied. */
  readonly applied: readonly Migration[];
}

/** Connects to `url`, applies the missing migrations, disconnects (`jobgate store migrate`). */
export async function migrateUrl(url: string, logger?: Logger): Promise<MigrationReport> {
  const pool = new pg.Pool({ ...clientConfig(url), max: 1 });
  pool.on("error", () => undefined); // an idle connection lost: nothing to do, the call reports
  try {
    return await migrate(pool, logger);
  } catch (error) {
    throw storeError(error);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** Applies the missing migrations, under the advisory lock. */
export async function migrate(pool: Pool, logger?: Logger): Promise<MigrationReport> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // A migration may outlast the pool's statement timeout, and so may the wait for the lock.
    await client.query("SET statement_timeout = 0");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK.toString()]);
    try {
      return await applyMissing(client, logger);
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK.toString()]);
      await client.query("RESET statement_timeout");
    }
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    // A failed client (the lock may still be held by its session) is closed, not reused.
    client.release(broken);
  }
}

async function applyMissing(client: PoolClient, logger: Logger | undefined): Promise<MigrationReport> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${SCHEMA}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${SCHEMA}.schema_migrations`);
  const done = new Set(rows.map((row) => row.version));
  const from = Math.max(0, ...done);
  const applied: Migration[] = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    await client.query("BEGIN");
    try {
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${SCHEMA}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (isUnavailable(error)) throw error;
      throw new Error(`schema migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`, { cause: error });
    }
    applied.push(migration);
    logger?.info({ version: migration.version, migration: migration.name }, "store schema migrated");
  }
  const to = Math.max(from, ...applied.map((migration) => migration.version));
  if (to > SCHEMA_VERSION) {
    logger?.warn({ database: to, known: SCHEMA_VERSION }, "the store's schema is newer than this jobgate knows; carrying on (migrations are additive)");
  }
  return { from, to, applied };
}
