/**
 * The timings of spec §8's bounds that every backend keeps alike (the sizes are flags,
 * with their defaults in api/defaults.ts).
 */

/** `Idempotency-Key`s are kept at least this long (spec §8). */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
/** How often expired finished jobs and keys are swept (and at least once per `--retention`); reads never see them expired. */
export const SWEEP_INTERVAL_MS = 60_000;
