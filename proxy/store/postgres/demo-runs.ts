import type { QueryResult, QueryResultRow } from "pg";
import type { DemoRunLedger, DemoRunRecord } from "../demo-runs.js";
import { SCHEMA } from "./migrations.js";

/**
 * The demo-run ledger (store/demo-runs.ts) as leased rows: a lease is `lease_until` on the
 * database's clock, so replicas with skewed clocks agree on when one lapses. Taking over
 * is `FOR UPDATE SKIP LOCKED`, so two replicas never take the same run at once.
 */
export class PostgresDemoRuns implements DemoRunLedger {
  constructor(
    private readonly query: <R extends QueryResultRow>(text: string, values: unknown[]) => Promise<QueryResult<R>>,
    /** This replica, as the lease holder (host, pid and a random part: a restart is a new holder). */
    private readonly owner: string,
    readonly leaseMs: number,
  ) {}

  async add({ jobId, plan }: DemoRunRecord): Promise<void> {
    await this.query(
      `INSERT INTO ${SCHEMA}.demo_runs (job_id, plan, owner, lease_until) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
       ON CONFLICT (job_id) DO NOTHING`,
      [jobId, JSON.stringify(plan), this.owner, this.leaseMs],
    );
  }

  async renew(jobIds: readonly string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const { rows } = await this.query<{ job_id: string }>(
      `UPDATE ${SCHEMA}.demo_runs SET lease_until = now() + $3 * interval '1 millisecond'
        WHERE owner = $1 AND job_id = ANY($2) RETURNING job_id`,
      [this.owner, jobIds, this.leaseMs],
    );
    return new Set(rows.map((row) => row.job_id));
  }

  async takeOver(): Promise<DemoRunRecord[]> {
    const { rows } = await this.query<{ job_id: string; plan: unknown }>(
      `UPDATE ${SCHEMA}.demo_runs SET owner = $1, lease_until = now() + $2 * interval '1 millisecond'
        WHERE job_id IN (SELECT job_id FROM ${SCHEMA}.demo_runs WHERE lease_until < now() ORDER BY lease_until LIMIT 100 FOR UPDATE SKIP LOCKED)
        RETURNING job_id, plan`,
      [this.owner, this.leaseMs],
    );
    return rows.map((row) => ({ jobId: row.job_id, plan: row.plan }));
  }

  async remove(jobId: string): Promise<void> {
    await this.query(`DELETE FROM ${SCHEMA}.demo_runs WHERE job_id = $1`, [jobId]);
  }

  async release(jobIds: readonly string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.query(`UPDATE ${SCHEMA}.demo_runs SET lease_until = now() - interval '1 second' WHERE owner = $1 AND job_id = ANY($2)`, [this.owner, jobIds]);
  }
}
