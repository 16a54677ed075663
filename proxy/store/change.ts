import type { JobChange, StoredJob } from "./types.js";

/** True when applying `change` would alter `current` (a no-op keeps the version). */
export function changesJob(current: StoredJob, change: JobChange): boolean {
  return (
    (change.status !== undefined && change.status !== current.status) ||
    (change.progress !== undefined && change.progress !== current.progress) ||
    (change.result !== undefined && JSON.stringify(change.result) !== JSON.stringify(current.result)) ||
    (change.error !== undefined && JSON.stringify(change.error) !== JSON.stringify(current.error))
  );
}
