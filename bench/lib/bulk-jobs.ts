import type pg from "pg";

/**
 * Fills a migrated PostgreSQL store with `count` jobs in one statement (far faster than
 * publishing them one by one): account `account`, sites `site_x<i % sites>`, the first
 * `finishedShare` of them finished, the rest running; ids `job_B<prefix><n>` padded to a
 * ULID's length. Then ANALYZE, so the planner knows the table as a long-lived one would.
 */
export async function bulkJobs(
  client: pg.Client,
  options: { count: number; account: string; prefix: string; sites?: number; finishedShare?: number; createdFrom?: number },
): Promise<void> {
  const { count, account, prefix } = options;
  const sites = options.sites ?? 1_000;
  const finished = Math.floor(count * (options.finishedShare ?? 0.8));
  const createdFrom = options.createdFrom ?? Date.now() - 86_400_000;
  await client.query(
    `INSERT INTO jobgate.jobs (id, account, team_id, type, resource_type, resource_id, site_id, status, progress, version, created_at, finished_at, finish_order)
     SELECT 'job_' || $3 || lpad(i::text, 26 - length($3), '0'), $1, 'team_' || (i % 10), 'deployment.deploy', 'deployment',
            'site_x' || (i % $4), 'site_x' || (i % $4),
            CASE WHEN i <= $5 THEN 'succeeded' ELSE 'running' END, CASE WHEN i <= $5 THEN 1 ELSE 0.5 END, 2,
            $6::bigint + i, CASE WHEN i <= $5 THEN $6::bigint + i END, CASE WHEN i <= $5 THEN nextval('jobgate.finish_order') END
       FROM generate_series(1, $2::int) i`,
    [account, count, prefix, sites, finished, createdFrom],
  );
  await client.query("ANALYZE jobgate.jobs");
}
