import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIdentifier } from "../client/types.js";

/**
 * The keys file of spec §1 and the lookup of a bearer token in it.
 *
 * Keys are indexed by the SHA-256 of the token, so the server never needs a plain
 * token (`token_sha256` is the production form) and a lookup costs one hash. The
 * final comparison of digests is constant-time.
 */
export const SCOPES = ["jobs:read", "jobs:publish", "deploys:write", "builds:write"] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  readonly account: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly teamId?: string;
  readonly siteId?: string;
}

interface KeyEntry {
  /** SHA-256 of the token, lowercase hex. */
  readonly digest: string;
  readonly principal: Principal;
}

export class KeysFileError extends Error {
  override name = "KeysFileError";
}

const HEX_64 = /^[0-9a-f]{64}$/;
const ENTRY_FIELDS = new Set(["token", "token_sha256", "account", "scopes", "team_id", "site_id", "name"]);

export function sha256Hex(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Equal-length strings compared without an early exit (the time does not depend on where they differ). */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

export class KeyRing {
  private readonly byDigest = new Map<string, KeyEntry>();

  constructor(entries: Iterable<KeyEntry>) {
    for (const entry of entries) this.byDigest.set(entry.digest, entry);
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The principal for an `Authorization` header value, or undefined when it is missing or unknown. */
  authenticate(authorization: string | undefined): Principal | undefined {
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    const digest = sha256Hex(token);
    const entry = this.byDigest.get(digest);
    if (entry === undefined || !constantTimeEqual(entry.digest, digest)) return undefined;
    return entry.principal;
  }

  static fromFile(path: string): KeyRing {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new KeysFileError(`--keys ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Never the parser's message: it quotes the text around the fault, which may be a token.
      throw new KeysFileError(`--keys ${path}: not valid JSON; check its quotes, commas and brackets`);
    }
    return KeyRing.fromJson(parsed, path);
  }

  static fromJson(parsed: unknown, source: string): KeyRing {
    const fail = (message: string): never => {
      throw new KeysFileError(`--keys ${source}: ${message}`);
    };
    if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
      fail(`expected an object { "keys": [ … ] }`);
    }
    const list = (parsed as { keys: unknown[] }).keys;
    if (list.length === 0) fail(`"keys" is empty: the server would refuse every request`);
    const seen = new Set<string>();
    const entries = list.map((raw, index) => {
      const entry = parseEntry(raw, (message) => fail(`entry ${index + 1}: ${message}`));
      const hex = entry.digest;
      if (seen.has(hex)) fail(`entry ${index + 1}: the same token appears in an earlier entry`);
      seen.add(hex);
      return entry;
    });
    return new KeyRing(entries);
  }
}

function parseEntry(raw: unknown, fail: (message: string) => never): KeyEntry {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("must be an object");
  const entry = raw as Record<string, unknown>;
  for (const field of Object.keys(entry)) {
    if (!ENTRY_FIELDS.has(field)) fail(`unknown field ${JSON.stringify(field)} (expected token or token_sha256, account, scopes, team_id, site_id)`);
  }
  const hasToken = entry.token !== undefined;
  const hasDigest = entry.token_sha256 !== undefined;
  if (hasToken === hasDigest) fail(`exactly one of "token" and "token_sha256" is required`);
  let digest: string;
  if (hasToken) {
    if (typeof entry.token !== "string" || entry.token.length < 8) fail(`"token" must be a string of at least 8 characters`);
    // A bearer token never contains white space; one that did could never match.
    if (/\s/.test(entry.token as string)) fail(`"token" must not contain spaces or line breaks`);
    digest = sha256Hex(entry.token as string);
  } else {
    if (typeof entry.token_sha256 !== "string" || !HEX_64.test(entry.token_sha256)) fail(`"token_sha256" must be 64 lowercase hex characters`);
    digest = entry.token_sha256 as string;
  }
  if (!isIdentifier(entry.account)) fail(`"account" must be a non-empty identifier string`);
  if (!Array.isArray(entry.scopes) || entry.scopes.some((scope) => typeof scope !== "string")) fail(`"scopes" must be an array of strings`);
  const scopes = entry.scopes as string[];
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) fail(`"scopes": unknown scope ${JSON.stringify(scope)} (expected one of ${SCOPES.join(", ")})`);
  }
  for (const pin of ["team_id", "site_id"] as const) {
    if (entry[pin] !== undefined && !isIdentifier(entry[pin])) {
      fail(`"${pin}" must be a non-empty identifier string when present`);
    }
  }
  return {
    digest,
    principal: {
      account: entry.account as string,
      scopes: new Set(scopes as Scope[]),
      ...(entry.team_id !== undefined ? { teamId: entry.team_id as string } : {}),
      ...(entry.site_id !== undefined ? { siteId: entry.site_id as string } : {}),
    },
  };
}

/** The token of `Bearer <token>` (scheme case-insensitive, RFC 6750), else undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = authorization.slice(7).trim();
  return token === "" ? undefined : token;
}
