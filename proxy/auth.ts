import { ApiError } from "./api-error.js";
import type { KeyRing, Principal, Scope } from "./keys.js";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="jobgate"' };
export const MISSING_TOKEN = "missing Authorization: Bearer <token> header";

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
