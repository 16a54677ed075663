import { LRUCache } from "lru-cache";

const MAX_DECISIONS = 100_000;

/**
 * Which token may read which job, as the upstream last said (spec §7): a token is
 * served cached state only while the upstream's "yes" for that token and that job is
 * younger than the TTL. Keyed by the token's SHA-256, never the token itself.
 */
export class AccessDecisions {
  private readonly granted: LRUCache<string, true> | undefined;

  /** @param ttlMs how long a "yes" is trusted; 0 trusts none (every read asks the upstream). */
  constructor(ttlMs: number) {
    // lru-cache reads ttl 0 as "forever": the opposite of what 0 must mean here.
    this.granted = ttlMs > 0 ? new LRUCache({ max: MAX_DECISIONS, ttl: ttlMs, ttlAutopurge: false }) : undefined;
  }

  allows(tokenHash: string, jobId: string): boolean {
    return this.granted?.get(`${tokenHash}\0${jobId}`) === true;
  }

  grant(tokenHash: string, jobId: string): void {
    this.granted?.set(`${tokenHash}\0${jobId}`, true);
  }

  revoke(tokenHash: string, jobId: string): void {
    this.granted?.delete(`${tokenHash}\0${jobId}`);
  }
}
