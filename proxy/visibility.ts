import type { Principal } from "./keys.js";
import type { StoredJob } from "./store/types.js";

/**
 * The one visibility predicate of spec §1, used by every read path (list, get, 304,
 * long-poll, stream) and by the producer side: a job is visible when its account is
 * the key's and every pin the key carries matches. Invisible answers like missing.
 */
export function canSee(principal: Principal, job: StoredJob): boolean {
  return job.account === principal.account && pinsAllow(principal, job.teamId, job.resource.site_id);
}

/** True when the key's team and site pins (if any) admit this team and site. */
export function pinsAllow(principal: Principal, teamId: string, siteId: string): boolean {
  return (
    (principal.teamId === undefined || principal.teamId === teamId) &&
    (principal.siteId === undefined || principal.siteId === siteId)
  );
}
