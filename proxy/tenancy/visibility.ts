/**
 * The one visibility rule of spec §1: a job is visible to a key when the job's account is
 * the key's and every pin the key carries (team, site) matches. It decides every read path
 * (list, get, 304, long-poll, stream) and the producer side; a store's list filters with
 * `canSee` too, so "what this key may see" is written once. Invisible answers like missing.
 */

/** What a key may see: its account, and its pins when it has them. A Principal is one. */
export interface VisibilityScope {
  readonly account: string;
  readonly teamId?: string | undefined;
  readonly siteId?: string | undefined;
}

/** The fields of a job that visibility looks at. */
export interface Owned {
  readonly account: string;
  readonly teamId: string;
  readonly resource: { readonly site_id: string };
}

export function canSee(scope: VisibilityScope, job: Owned): boolean {
  return job.account === scope.account && pinsAllow(scope, job.teamId, job.resource.site_id);
}

/** True when the scope's team and site pins (if any) admit this team and site. */
export function pinsAllow(scope: VisibilityScope, teamId: string, siteId: string): boolean {
  return (scope.teamId === undefined || scope.teamId === teamId) && (scope.siteId === undefined || scope.siteId === siteId);
}
