/**
 * The progress bar and status line drawn on a terminal (stderr). Pure rendering: the
 * reporter decides when to draw.
 */
import type { Job } from "../../api/index.js";
import { formatDuration } from "../../client/duration.js";

export const BAR_WIDTH = 24;

/** `[██████░░░░░░]` for `fraction` in [0, 1] (clamped). */
export function renderBar(fraction: number, width: number = BAR_WIDTH): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.round(clamped * width);
  return `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
}

/** `[████░░░░] 40% running  job_…  12s`, cut to `columns`. */
export function renderStatusLine(job: Job, elapsedMs: number, columns: number = 80, note?: string): string {
  const percent = `${Math.round(Math.min(1, Math.max(0, job.progress)) * 100)}%`.padStart(4);
  const elapsed = formatDuration(Math.floor(elapsedMs / 1000) * 1000);
  const line = `${renderBar(job.progress)} ${percent} ${job.status.padEnd(9)} ${job.id}  ${elapsed}${note === undefined ? "" : `  ${note}`}`;
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}
