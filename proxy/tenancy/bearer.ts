/**
 * The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750), else
 * undefined. A token is visible ASCII (RFC 6750's b64token and then some): one with
 * white space or a control character can match no key, so it is refused here, once,
 * for both modes — it never reaches a hash, a log or an upstream request.
 */
const TOKEN = /^[\x21-\x7e]+$/;

export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.length < 8) return undefined;
  if (authorization.slice(0, 7).toLowerCase() !== "bearer ") return undefined;
  const token = authorization.slice(7).trim();
  return TOKEN.test(token) ? token : undefined;
}
