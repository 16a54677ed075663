/**
 * Replacement triggers: the values that, when they change, make Terraform replace the
 * runner resource and so run its provisioner again. Pure functions of the inputs —
 * never `timestamp()` — so a re-apply with unchanged inputs is a no-op.
 *
 * A value that is only known at apply time (a cdktf token, or a raw `${…}` expression)
 * cannot be hashed here; the caller hashes those with Terraform's own `sha256()`, which
 * gives the same hex for the same string.
 */
import { createHash } from "node:crypto";

/** SHA-256 of `text` (UTF-8), lowercase hex — what Terraform's `sha256()` returns. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * JSON with object keys sorted at every level, so two bodies that differ only in key
 * order hash alike. Arrays keep their order; `undefined` members are dropped, as in
 * `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/** What identifies one run of an operation. */
export interface OperationIdentity {
  readonly method: string;
  readonly path: string;
  /** The exact body sent, or undefined for none. */
  readonly body: string | undefined;
  readonly idempotencyKey: string | undefined;
}

/**
 * Triggers of an `AsyncOperation`, given how to hash a body (at synth for literals,
 * in Terraform for apply-time values). Method and path stay readable so a plan shows
 * what changed; the body is hashed so a large or noisy one does not flood the plan.
 * Only strings, so the same map serves `terraform_data` and `null_resource` (map(string)).
 */
export function operationTriggers(operation: OperationIdentity, hashBody: (body: string) => string = sha256Hex): Record<string, string> {
  const triggers: Record<string, string> = { method: operation.method, path: operation.path };
  if (operation.body !== undefined) triggers.body_sha256 = hashBody(operation.body);
  if (operation.idempotencyKey !== undefined) triggers.idempotency_key = operation.idempotencyKey;
  return triggers;
}
