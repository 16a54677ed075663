/**
 * What a waiting command shows on stderr while it waits:
 * - on a terminal: one status line with a progress bar, redrawn in place — one per job,
 *   and a summary line, when it waits on several;
 * - elsewhere (CI, Terraform): one plain line per state change, prefixed with the job id,
 *   no control characters;
 * - with --quiet: nothing (errors are written by the caller).
 */
import { describeJob } from "../../client/job-checks.js";
import { formatDuration } from "../../client/duration.js";
import type { JobgateError } from "../../client/errors.js";
import type { Job } from "../../api/index.js";
import { renderBar, renderStatusLine } from "./progress-bar.js";
import { printable } from "./printable.js";

/** How often a terminal's status line is redrawn while nothing changes. */
const TICK_MS = 1_000;

export type ReporterMode = "tty" | "plain" | "quiet";

export interface ReporterOutput {
  write(text: string): unknown;
  readonly columns?: number | undefined;
}

/** Where each job of a several-job wait stands, for its line on a terminal. */
interface Line {
  job: Job | undefined;
  key: string;
  /** Set when its wait ended without success: `not found`, `timed out`, … */
  outcome: string | undefined;
}

export class Reporter {
  readonly #lines = new Map<string, Line>();
  /** The job of a one-job wait (its line is the status line), or the last one updated. */
  #last: Job | undefined;
  /** Terminal lines drawn and not yet ended by finish() (1 for one job; one per job + a summary for several). */
  #drawnLines = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #note: string | undefined;
  readonly #started = performance.now();
  readonly #ids: readonly string[];

  /** @param ids the jobs of a several-job wait, in the order given: on a terminal each has its own line */
  constructor(
    readonly mode: ReporterMode,
    private readonly out: ReporterOutput = process.stderr,
    ids: readonly string[] = [],
  ) {
    this.#ids = ids;
    for (const id of ids) this.#lines.set(id, { job: undefined, key: "", outcome: undefined });
  }

  get #several(): boolean {
    return this.#ids.length > 1;
  }

  /** A state (the first, or a change): repeated identical states draw nothing new. */
  update(job: Job): void {
    const line = this.#lines.get(job.id) ?? { job: undefined, key: "", outcome: undefined };
    const key = `${job.status} ${job.progress}`;
    const changed = key !== line.key;
    line.job = job;
    line.key = key;
    this.#lines.set(job.id, line);
    this.#last = job;
    if (this.mode === "tty") {
      this.#note = undefined;
      this.#draw();
      // Keep the elapsed time moving between changes; unref'd so it never holds the process.
      this.#ticker ??= setInterval(() => this.#draw(), TICK_MS).unref();
    } else if (this.mode === "plain" && changed) this.out.write(`jobgate: ${printable(`${job.id} ${describeJob(job)}${resultNote(job)}`)}\n`);
  }

  /** A job of a several-job wait ended without success (`not found`, `timed out`): shown on its line. */
  ended(id: string, outcome: string): void {
    const line = this.#lines.get(id);
    if (line === undefined) return;
    line.outcome = printable(outcome);
    if (this.mode === "tty") this.#draw();
  }

  /** A request failed and will be retried after `delayMs`. */
  retrying(error: JobgateError, delayMs: number): void {
    const note = `retrying in ${formatDuration(Math.max(100, Math.round(delayMs / 100) * 100))}`;
    if (this.mode === "tty") {
      this.#note = `(${note}: ${printable(error.message)})`;
      this.#draw();
    } else if (this.mode === "plain") this.out.write(`jobgate: ${printable(error.message)}; ${note}\n`);
  }

  /** An informational line (e.g. a fallback from SSE to long-poll). */
  note(text: string): void {
    if (this.mode === "quiet") return;
    this.#clear();
    this.out.write(`jobgate: ${printable(text)}\n`);
    if (this.mode === "tty" && this.#last !== undefined) this.#draw();
  }

  /** Leaves the terminal on a fresh line. */
  finish(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    if (this.mode === "tty" && this.#drawnLines > 0) {
      this.out.write("\n");
      this.#drawnLines = 0;
    }
  }

  #columns(): number {
    return this.out.columns !== undefined && this.out.columns > 20 ? this.out.columns : 80;
  }

  #draw(): void {
    if (this.#last === undefined) return;
    const elapsedMs = performance.now() - this.#started;
    if (!this.#several) {
      this.out.write(`\r\x1b[2K${renderStatusLine(this.#last, elapsedMs, this.#columns(), this.#note)}`);
      this.#drawnLines = 1;
      return;
    }
    // Back to the block's first line, then every line rewritten; the cursor ends on the summary.
    const up = this.#drawnLines > 1 ? `\x1b[${this.#drawnLines - 1}A` : "";
    const lines = this.#ids.map((id) => this.#jobLine(id, elapsedMs));
    lines.push(this.#summary(elapsedMs));
    this.out.write(`${up}\r${lines.map((line) => `\x1b[2K${line}`).join("\n")}`);
    this.#drawnLines = lines.length;
  }

  #jobLine(id: string, elapsedMs: number): string {
    const line = this.#lines.get(id)!;
    const columns = this.#columns();
    if (line.job === undefined) {
      const text = `${renderBar(0)}    - ${"waiting".padEnd(9)} ${id}${line.outcome === undefined ? "" : `  ${line.outcome}`}`;
      return text.length > columns ? text.slice(0, columns - 1) : text;
    }
    return renderStatusLine(line.job, elapsedMs, columns, line.outcome);
  }

  #summary(elapsedMs: number): string {
    const counts = new Map<string, number>();
    for (const id of this.#ids) {
      const line = this.#lines.get(id)!;
      const what = line.outcome !== undefined && line.job?.status !== "failed" ? "ended" : (line.job?.status ?? "waiting");
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    const order = ["succeeded", "failed", "ended", "running", "queued", "waiting"];
    const parts = order.filter((what) => counts.has(what)).map((what) => `${counts.get(what)} ${what}`);
    const text = `${this.#ids.length} jobs: ${parts.join(", ")}  ${formatDuration(Math.floor(elapsedMs / 1000) * 1000)}${this.#note === undefined ? "" : `  ${this.#note}`}`;
    const columns = this.#columns();
    return text.length > columns ? text.slice(0, columns - 1) : text;
  }

  #clear(): void {
    if (this.mode !== "tty" || this.#drawnLines === 0) return;
    const up = this.#drawnLines > 1 ? `\x1b[${this.#drawnLines - 1}A` : "";
    this.out.write(`${up}\r\x1b[J`);
    this.#drawnLines = 0;
  }
}

/** The result as JSON, to be printed through printable(): JSON.stringify keeps U+2028, U+2029 and C1 controls as they are. */
function resultNote(job: Job): string {
  return job.status === "succeeded" && job.result !== null ? ` ${JSON.stringify(job.result)}` : "";
}

export function reporterMode(flags: { quiet?: boolean | undefined }, stream: { isTTY?: boolean } = process.stderr): ReporterMode {
  if (flags.quiet === true) return "quiet";
  return stream.isTTY === true ? "tty" : "plain";
}
