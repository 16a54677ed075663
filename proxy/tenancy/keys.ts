import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { BEARER_TOKEN_PATTERN, isIdentifier } from "../../api/identifiers.js";
import { isScope, SCOPES, type Scope } from "../../api/scopes.js";
import { bearerToken } from "./bearer.js";
import type { VisibilityScope } from "./visibility.js";

/**
 * The keys file of spec §1 and the lookup of a bearer token in it.
 *
 * Keys are indexed by the SHA-256 of the token, so the server never needs a plain token
 * (`token_sha256` is the production form) and a lookup costs one hash. What is compared
 * is the digest, never the token: how long a lookup takes can tell a caller at most how
 * much of its own guess's SHA-256 matches a stored one, which gives nothing away without
 * a preimage — the constant-time property the spec asks for.
 */
export type { Scope };

/** Who a key is: its account and pins (what it may see) and its scopes (what it may do). */
export interface Principal extends VisibilityScope {
  readonly scopes: ReadonlySet<Scope>;
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
    return this.byDigest.get(sha256Hex(token))?.principal;
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
    if (/\s/.test(entry.token)) fail(`"token" must not contain spaces or line breaks`);
    // Nor any other character that cannot travel in a header.
    if (!BEARER_TOKEN_PATTERN.test(entry.token)) fail(`"token" must be visible ASCII characters (no control characters)`);
    digest = sha256Hex(entry.token);
  } else {
    if (typeof entry.token_sha256 !== "string" || !HEX_64.test(entry.token_sha256)) fail(`"token_sha256" must be 64 lowercase hex characters`);
    digest = entry.token_sha256;
  }
  if (!isIdentifier(entry.account)) fail(`"account" must be a non-empty identifier string`);
  if (!Array.isArray(entry.scopes) || entry.scopes.some((scope) => typeof scope !== "string")) fail(`"scopes" must be an array of strings`);
  const scopes = entry.scopes as string[];
  for (const scope of scopes) {
    if (!isScope(scope)) fail(`"scopes": unknown scope ${JSON.stringify(scope)} (expected one of ${SCOPES.join(", ")})`);
  }
  for (const pin of ["team_id", "site_id"] as const) {
    if (entry[pin] !== undefined && !isIdentifier(entry[pin])) {
      fail(`"${pin}" must be a non-empty identifier string when present`);
    }
  }
  return {
    digest,
    principal: {
      account: entry.account,
      scopes: new Set(scopes as Scope[]),
      ...(entry.team_id !== undefined ? { teamId: entry.team_id as string } : {}),
      ...(entry.site_id !== undefined ? { siteId: entry.site_id as string } : {}),
    },
  };
}
