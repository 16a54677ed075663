/**
 * The memory store's list indexes (spec §4 list cost): one list of positions in list
 * order for every (account, team pin, site pin, status filter, resource-type filter) that
 * a job can be listed under — 16 per job — so a page walks only the jobs of its own
 * query: its cost grows with the page, not with the jobs the key cannot see or the
 * filters exclude.
 *
 * A job that leaves (evicted) or moves (a status change) leaves a dead position behind,
 * skipped when met; a list is compacted once more than half of it is dead, rather than
 * paying a linear splice on every departure. A status change inserts the job into its
 * new status's lists at its place (usually near the end: jobs finish in roughly the order
 * they started).
 */
import type { JobStatus } from "../../api/job.js";
import { canSee, type VisibilityScope } from "../tenancy/visibility.js";
import type { ListPosition, StoredJob } from "./types.js";

/** What one list holds: the jobs a scope can see (tenancy/visibility.ts), with these filters. */
interface ListFilter extends VisibilityScope {
  readonly status: JobStatus | undefined;
  readonly resourceType: string | undefined;
}

interface PositionList {
  readonly filter: ListFilter;
  positions: ListPosition[];
  dead: number;
}

export interface IndexQuery {
  readonly scope: VisibilityScope;
  readonly status?: JobStatus | undefined;
  readonly resourceType?: string | undefined;
  readonly after?: ListPosition | undefined;
  readonly limit: number;
}

export class ListIndex {
  private readonly lists = new Map<string, PositionList>();
  /** Positions looked at by `page`, over the store's life (the exact cost the tests check). */
  examined = 0;

  /** @param peek the job as held now (without touching anything), or undefined */
  constructor(private readonly peek: (id: string) => StoredJob | undefined) {}

  add(job: StoredJob): void {
    const position = { createdAt: job.createdAt, id: job.id };
    for (const filter of filtersOf(job, [job.status, undefined])) this.insert(filter, position);
  }

  /** The job's status changed from `from`: it joins its new status's lists (its old ones hold a dead position now). */
  moved(job: StoredJob, from: JobStatus): void {
    const position = { createdAt: job.createdAt, id: job.id };
    for (const filter of filtersOf(job, [from])) this.bury(filter);
    for (const filter of filtersOf(job, [job.status])) this.insert(filter, position);
  }

  /** The job left the store: each of its lists holds a dead position now. */
  removed(job: StoredJob): void {
    for (const filter of filtersOf(job, [job.status, undefined])) this.bury(filter);
  }

  /** Up to `limit` jobs of the query's list after `after`, newest first. */
  page(query: IndexQuery): StoredJob[] {
    const filter: ListFilter = {
      account: query.scope.account,
      teamId: query.scope.teamId,
      siteId: query.scope.siteId,
      status: query.status,
      resourceType: query.resourceType,
    };
    const list = this.lists.get(keyOf(filter));
    if (list === undefined) return [];
    const { positions } = list;
    let from = positions.length - 1;
    if (query.after !== undefined) from = lowerBound(positions, query.after) - 1;
    const out: StoredJob[] = [];
    for (let i = from; i >= 0 && out.length < query.limit; i--) {
      this.examined++;
      const job = this.live(list, positions[i]!);
      if (job !== undefined) out.push(job);
    }
    return out;
  }

  /** The job at `position` when it is still there and still belongs in `list`. */
  private live(list: PositionList, position: ListPosition): StoredJob | undefined {
    const job = this.peek(position.id);
    // Dead: gone, moved to another status, or an earlier job's place under a re-published id.
    if (job === undefined || job.createdAt !== position.createdAt || !matches(list.filter, job)) return undefined;
    return job;
  }

  private insert(filter: ListFilter, position: ListPosition): void {
    const key = keyOf(filter);
    let list = this.lists.get(key);
    if (list === undefined) this.lists.set(key, (list = { filter, positions: [], dead: 0 }));
    const { positions } = list;
    const last = positions[positions.length - 1];
    if (last === undefined || compare(last, position) < 0) {
      positions.push(position);
      return;
    }
    const at = lowerBound(positions, position);
    // Its own dead position (back to an earlier status, or re-published in the same ms): revive it.
    if (positions[at] !== undefined && compare(positions[at], position) === 0) list.dead = Math.max(0, list.dead - 1);
    else positions.splice(at, 0, position);
  }

  private bury(filter: ListFilter): void {
    const key = keyOf(filter);
    const list = this.lists.get(key);
    if (list === undefined || ++list.dead * 2 <= list.positions.length) return;
    // The departing job may still look held (the caller updates after): `live` decides.
    list.positions = list.positions.filter((position) => this.live(list, position) !== undefined);
    list.dead = 0;
    if (list.positions.length === 0) this.lists.delete(key);
  }
}

/** The lists a job belongs to, for each of `statuses` (undefined: the lists without a status filter). */
function filtersOf(job: StoredJob, statuses: readonly (JobStatus | undefined)[]): ListFilter[] {
  const filters: ListFilter[] = [];
  for (const teamId of [job.teamId, undefined]) {
    for (const siteId of [job.resource.site_id, undefined]) {
      for (const status of statuses) {
        for (const resourceType of [job.resource.type, undefined]) filters.push({ account: job.account, teamId, siteId, status, resourceType });
      }
    }
  }
  return filters;
}

function matches(filter: ListFilter, job: StoredJob): boolean {
  return (
    canSee(filter, job) &&
    (filter.status === undefined || job.status === filter.status) &&
    (filter.resourceType === undefined || job.resource.type === filter.resourceType)
  );
}

function keyOf(filter: ListFilter): string {
  return `${filter.account}\0${filter.teamId ?? ""}\0${filter.siteId ?? ""}\0${filter.status ?? ""}\0${filter.resourceType ?? ""}`;
}

/** Ascending list-key order: created_at, then id. */
function compare(a: ListPosition, b: ListPosition): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** First index whose position is not less than `key`. */
function lowerBound(positions: readonly ListPosition[], key: ListPosition): number {
  let low = 0;
  let high = positions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(positions[mid]!, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}
