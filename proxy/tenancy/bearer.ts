/**
 * The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750), else
 * undefined. A token is visible ASCII (RFC 6750's b64token and then some): one with
 * white space or a control character can match no key, so it is refused here, once,
 * for both modes — it never reaches a hash, a log or an upstream request.
 */
import { BEARER_TOKEN_PATTERN } from "../../api/identifiers.js";

export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  // The usual spelling first: no lower-casing on the hot path.
  if (!authorization.startsWith("Bearer ") && authorization.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  let token = authorization.slice(7);
  if (!BEARER_TOKEN_PATTERN.test(token)) {
    token = token.trim();
    if (!BEARER_TOKEN_PATTERN.test(token)) return undefined;
  }
  return token;
}
