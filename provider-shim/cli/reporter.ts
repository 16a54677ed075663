/**
 * What a waiting command shows on stderr while it waits:
 * - on a terminal: one status line with a progress bar, redrawn in place;
 * - elsewhere (CI, Terraform): one plain line per state change, no control characters;
 * - with --quiet: nothing (errors are written by the caller).
 */
import { describeJob } from "../../client/job-checks.js";
import { formatDuration } from "../../client/duration.js";
import type { JobgateError } from "../../client/errors.js";
import type { Job } from "../../api/index.js";
import { renderStatusLine } from "./progress-bar.js";
import { printable } from "./printable.js";

/** How often a terminal's status line is redrawn while nothing changes. */
const TICK_MS = 1_000;

export type ReporterMode = "tty" | "plain" | "quiet";

export interface ReporterOutput {
  write(text: string): unknown;
  readonly columns?: number | undefined;
}

export class Reporter {
  #last: Job | undefined;
  #lastKey = "";
  #drawn = false;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #note: string | undefined;
  readonly #started = performance.now();

  constructor(
    readonly mode: ReporterMode,
    private readonly out: ReporterOutput = process.stderr,
  ) {}

  /** A state (the first, or a change): repeated identical states draw nothing new. */
  update(job: Job): void {
    const key = `${job.status} ${job.progress}`;
    const changed = key !== this.#lastKey;
    this.#last = job;
    this.#lastKey = key;
    if (this.mode === "tty") {
      this.#note = undefined;
      this.#draw();
      // Keep the elapsed time moving between changes; unref'd so it never holds the process.
      this.#ticker ??= setInterval(() => this.#draw(), TICK_MS).unref();
    } else if (this.mode === "plain" && changed) this.out.write(`jobgate: ${job.id} ${describeJob(job)}${resultNote(job)}\n`);
  }

  /** A request failed and will be retried after `delayMs`. */
  retrying(error: JobgateError, delayMs: number): void {
    const note = `retrying in ${formatDuration(Math.max(100, Math.round(delayMs / 100) * 100))}`;
    if (this.mode === "tty") {
      this.#note = `(${note}: ${printable(error.message)})`;
      this.#draw();
    }
    else if (this.mode === "plain") this.out.write(`jobgate: ${printable(error.message)}; ${note}\n`);
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
    if (this.mode === "tty" && this.#drawn) {
      this.out.write("\n");
      this.#drawn = false;
    }
  }

  #draw(): void {
    if (this.#last === undefined) return;
    const note = this.#note;
    const columns = this.out.columns !== undefined && this.out.columns > 20 ? this.out.columns : 80;
    this.out.write(`\r\x1b[2K${renderStatusLine(this.#last, performance.now() - this.#started, columns, note)}`);
    this.#drawn = true;
  }

  #clear(): void {
    if (this.mode === "tty" && this.#drawn) {
      this.out.write("\r\x1b[2K");
      this.#drawn = false;
    }
  }
}

function resultNote(job: Job): string {
  return job.status === "succeeded" && job.result !== null ? ` ${JSON.stringify(job.result)}` : "";
}


export function reporterMode(flags: { quiet?: boolean | undefined }, stream: { isTTY?: boolean } = process.stderr): ReporterMode {
  if (flags.quiet === true) return "quiet";
  return stream.isTTY === true ? "tty" : "plain";
}
