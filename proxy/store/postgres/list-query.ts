/**
 * `GET /v1/jobs` as SQL (spec §4): a keyset page in list order (created_at desc, id desc)
 * of the jobs a scope may see, filtered — shaped so that PostgreSQL answers it from the
 * list indexes (migrations.ts) with a bounded backward scan: the account, the scope's pins
 * and the resource type are equalities on the index's leading columns, the cursor is a
 * range on its trailing (created_at, id); without a status filter it is one such scan per
 * status, each stopping at `limit` rows, merged by a sort of those few: a page reads at
 * most 4 × `limit` rows, whatever else the table holds.
 */
import { JOB_STATUSES } from "../../../api/job.js";
import type { ListQuery } from "../types.js";
import { SCHEMA } from "./migrations.js";
import { JOB_COLUMNS } from "./rows.js";

export function listSql(query: ListQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = [`account = ${param(query.scope.account)}`];
  if (query.scope.teamId !== undefined) where.push(`team_id = ${param(query.scope.teamId)}`);
  if (query.scope.siteId !== undefined) where.push(`site_id = ${param(query.scope.siteId)}`);
  if (query.resourceType !== undefined) where.push(`resource_type = ${param(query.resourceType)}`);
  if (query.after !== undefined) where.push(`(created_at, id) < (${param(query.after.createdAt)}, ${param(query.after.id)})`);
  const filters = where.join(" AND ");
  const order = `ORDER BY created_at DESC, id DESC LIMIT ${param(query.limit)}`;
  if (query.status !== undefined) {
    return { text: `SELECT ${JOB_COLUMNS} FROM ${SCHEMA}.jobs WHERE ${filters} AND status = ${param(query.status)} ${order}`, values };
  }
  // One bounded scan per status (this build's constants, never input: safe as literals),
  // each its own page; the few rows they bring are merged by the outer sort.
  const branches = JOB_STATUSES.map((status) => `(SELECT ${JOB_COLUMNS} FROM ${SCHEMA}.jobs WHERE ${filters} AND status = '${status}' ${order})`);
  return { text: `${branches.join(" UNION ALL ")} ${order}`, values };
}
