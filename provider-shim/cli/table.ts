/** Human-readable renderings of jobs for `jobs get` and `jobs list` (no --json). */
import type { Job } from "../../api/index.js";
import { printable } from "./printable.js";

const COLUMNS: readonly [string, (job: Job) => string][] = [
  ["ID", (job) => job.id],
  ["TYPE", (job) => job.type],
  ["STATUS", (job) => job.status],
  ["PROGRESS", (job) => `${Math.round(job.progress * 100)}%`],
  ["RESOURCE", (job) => `${job.resource.type}/${job.resource.id}`],
  ["CREATED", (job) => job.created_at],
];

/** Space-aligned columns (no tabs, no colours: it may be piped). */
export function formatTable(jobs: readonly Job[]): string {
  if (jobs.length === 0) return "no jobs\n";
  const rows = [COLUMNS.map(([title]) => title), ...jobs.map((job) => COLUMNS.map(([, cell]) => printable(cell(job))))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

export function formatJob(job: Job): string {
  const lines: [string, string][] = [
    ["id", job.id],
    ["type", job.type],
    ["status", job.status],
    ["progress", `${Math.round(job.progress * 100)}%`],
    ["created_at", job.created_at],
    [
      "resource",
      `${job.resource.type}/${job.resource.id} (site ${job.resource.site_id}${job.resource.env_id !== undefined ? `, env ${job.resource.env_id}` : ""})`,
    ],
  ];
  if (job.result !== null) lines.push(["result", JSON.stringify(job.result)]);
  if (job.error !== null) lines.push(["error", `${job.error.code}: ${job.error.message}`]);
  return lines.map(([key, value]) => `${key.padEnd(10)}  ${printable(value)}`).join("\n") + "\n";
}
