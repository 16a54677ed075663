/**
 * Authentication at the edge (spec §1–2): the routes turn a request's credentials into a
 * caller once, and pass only that below — the key's principal in standalone mode, the
 * credential and its hash in proxy mode. Nothing below the routes sees a request.
 */
import type { Scope } from "../../api/scopes.js";
import { ApiError } from "../http/api-error.js";
import { bearerToken } from "./bearer.js";
import { sha256Hex, type KeyRing, type Principal } from "./keys.js";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="jobgate"' };
export const MISSING_TOKEN = "missing Authorization: Bearer <token> header";

/** What a request presents: its `Authorization` header and the Forge-Version it resolved to. */
export interface RequestCredentials {
  readonly authorization: string | undefined;
  readonly forgeVersion: string;
}

/** 401 with the Bearer challenge (RFC 6750), for every mode's routes. */
export function unauthenticated(message: string): ApiError {
  return new ApiError("unauthenticated", message, CHALLENGE);
}

/** The caller's principal if its bearer token is known and carries `scope`; else 401 / 403. */
export function authorize(keys: KeyRing, authorization: string | undefined, scope: Scope): Principal {
  const principal = keys.authenticate(authorization);
  if (principal === undefined) {
    throw unauthenticated(authorization === undefined ? MISSING_TOKEN : "the bearer token is not valid for this server");
  }
  if (!principal.scopes.has(scope)) {
    throw new ApiError("insufficient_scope", `this key lacks the ${scope} scope`, {
      "WWW-Authenticate": `Bearer realm="jobgate", error="insufficient_scope", scope="${scope}"`,
    });
  }
  return principal;
}

/** Proxy mode's caller: the credential it forwards upstream and the SHA-256 it is judged under. */
export interface Credential {
  readonly token: string;
  readonly tokenHash: string;
  readonly forgeVersion: string;
}

/** Proxy mode: the request's bearer credential (the upstream judges it); 401 when there is none. */
export function credentialOf(credentials: RequestCredentials): Credential {
  const token = bearerToken(credentials.authorization);
  if (token === undefined) {
    throw unauthenticated(
      credentials.authorization === undefined ? MISSING_TOKEN : "the Authorization header is not Bearer <token> with a token of visible ASCII characters",
    );
  }
  return { token, tokenHash: sha256Hex(token), forgeVersion: credentials.forgeVersion };
}
