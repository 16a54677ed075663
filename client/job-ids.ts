/** A list of job ids as a wait on several jobs takes it (spec §9 "Several jobs"). */
import { ConfigError } from "./errors.js";
import { jobRequestPath } from "./long-poll.js";

/** Ids from a list: checked (each a job id), never empty, never twice. */
export function checkJobIds(ids: readonly string[]): string[] {
  if (!Array.isArray(ids) || ids.length === 0) throw new ConfigError("job ids: at least one is required");
  const seen = new Set<string>();
  for (const id of ids as readonly string[]) {
    jobRequestPath(id);
    if (seen.has(id)) throw new ConfigError(`job ids: ${id} is given twice`);
    seen.add(id);
  }
  return [...(ids as readonly string[])];
}
