/**
 * The shapes of the names the API passes around (spec §1–§6), each written once. Every
 * pattern is anchored; lengths are part of the pattern so that no caller forgets them.
 */

/**
 * An id as the API spells them (jobs, accounts, teams, sites, environments): 1–128 of
 * letters, digits and `_ . : -`, and never a path dot-segment, so it is safe in a URL path.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER_PATTERN.test(value) && value !== "." && value !== "..";
}

/** A ULID: 48-bit time + 80 random bits in Crockford base32 (26 characters). */
export const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** A job id: `job_` + ULID (spec §3). */
export const JOB_ID_PATTERN = /^job_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export function isJobId(value: unknown): value is string {
  return typeof value === "string" && JOB_ID_PATTERN.test(value);
}

/** A resource type (`deployment`, `build`, …): a lowercase identifier (spec §4). */
export const RESOURCE_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** A job type: dotted lowercase names such as `deployment.deploy` (spec §5). */
export const JOB_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63}){0,3}$/;

/** A job error's `code`, e.g. `deploy_failed` (spec §3). */
export const ERROR_CODE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** An `Idempotency-Key`: 1–255 visible ASCII characters, no spaces (spec §6). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function isIdempotencyKey(value: unknown): value is string {
  return typeof value === "string" && IDEMPOTENCY_KEY_PATTERN.test(value);
}

/** A bearer token as it may travel in `Authorization: Bearer <token>`: visible ASCII, no spaces or control characters. */
export const BEARER_TOKEN_PATTERN = /^[\x21-\x7e]+$/;
