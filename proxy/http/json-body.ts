/**
 * JSON request bodies (spec §2), read only by the routes that take one and only after
 * their authentication and scope check (`requireScope` runs first), so an unauthenticated
 * or unauthorized caller's body is never read. What a body may be:
 * - at most 1 MiB (413 `payload_too_large`), valid UTF-8 JSON (400);
 * - `Content-Encoding` identity, gzip, deflate or br, decodable (400 naming Content-Encoding);
 * - nested at most 32 levels, with finite numbers only (400 naming the field): whatever is
 *   accepted can be stored and serialized again, so nothing accepted can later answer 500.
 */
import express, { type RequestHandler } from "express";
import { MAX_BODY_BYTES, MAX_JSON_DEPTH } from "../../api/limits.js";
import { ApiError, invalidRequest } from "./api-error.js";

const parse = express.json({ limit: MAX_BODY_BYTES, type: ["application/json", "application/*+json"] });

export const jsonBody: RequestHandler = (req, res, next) => {
  parse(req, res, (error?: unknown) => {
    if (error !== undefined) return next(bodyError(error, req.headers["content-encoding"]));
    try {
      checkJson(req.body);
    } catch (refused) {
      return next(refused);
    }
    next();
  });
};

/** The answer for what the body parser refused. */
function bodyError(error: unknown, contentEncoding: string | undefined): unknown {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  if (type === "entity.too.large") return new ApiError("payload_too_large", `the body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`, {}, "max_body_size");
  if (type === "entity.parse.failed") return invalidRequest("the body is not valid JSON");
  if (type === "encoding.unsupported") {
    return invalidRequest(`Content-Encoding ${JSON.stringify(contentEncoding ?? "")} is not supported; send identity, gzip, deflate or br`);
  }
  if (type === "charset.unsupported") return invalidRequest("the body's charset is not supported; send UTF-8 JSON");
  if (type === "request.aborted" || type === "request.size.invalid") return invalidRequest("the body ended before its declared length");
  // A decompression stream failed: the body is not what its Content-Encoding says.
  if (status === 400 && contentEncoding !== undefined && contentEncoding.toLowerCase() !== "identity") {
    return invalidRequest(`Content-Encoding: the body is not valid ${contentEncoding} data`);
  }
  return error;
}

/**
 * Refuses a body nested deeper than MAX_JSON_DEPTH or holding a number JSON cannot carry
 * back (1e400 parses as Infinity), naming the top-level field. Iterative: a body nested
 * 50 000 levels must not overflow the stack here either.
 */
export function checkJson(body: unknown): void {
  const stack: Array<{ value: unknown; depth: number; field: string }> = [{ value: body, depth: 0, field: "" }];
  while (stack.length > 0) {
    const { value, depth, field } = stack.pop()!;
    if (typeof value === "number" && !Number.isFinite(value)) throw invalidRequest(`${field || "the body"}: ${value} is not a number JSON can carry`);
    if (typeof value !== "object" || value === null) continue;
    if (depth + 1 > MAX_JSON_DEPTH)
      throw new ApiError("invalid_request", `${field || "the body"} is nested deeper than ${MAX_JSON_DEPTH} levels`, {}, "max_json_depth");
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, depth: depth + 1, field: depth === 0 ? key : field });
  }
}
