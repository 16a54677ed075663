/** What a key may do (spec §1). */
export const SCOPES = ["jobs:read", "jobs:publish", "deploys:write", "builds:write"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === "string" && (SCOPES as readonly string[]).includes(value);
}
