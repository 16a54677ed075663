/**
 * What a benchmark hands back: figures, each with the baseline measured in the same run,
 * their ratio and the target it is held to. run.ts prints them as one table and writes
 * them as JSON to bench/results/.
 */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  /** The same figure for the baseline, measured in the same run. */
  readonly baseline?: number;
  readonly baselineName?: string;
  /** value / baseline (or the target's own comparison when it is a difference). */
  readonly ratio?: number;
  readonly target?: string;
  /** Undefined when the figure has no target (context only). */
  readonly met?: boolean;
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly figures: Figure[];
  readonly notes: string[];
  /** Raw per-round measurements, for the JSON file. */
  readonly raw: unknown;
}

export function ratioOf(value: number, baseline: number): number {
  return baseline === 0 ? Number.NaN : value / baseline;
}

function fmt(value: number | undefined, digits = 2): string {
  if (value === undefined) return "";
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  // Tiny ratios (1 request in 3 000) keep two significant digits instead of rounding to 0.
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toPrecision(2);
  return String(Math.round(value * 10 ** digits) / 10 ** digits);
}

export function printFigures(result: BenchResult): void {
  const lines = [`== ${result.name}: ${result.title}`];
  for (const f of result.figures) {
    let line = `  ${f.name}: ${fmt(f.value)} ${f.unit}`;
    if (f.baseline !== undefined) line += `  | ${f.baselineName ?? "baseline"}: ${fmt(f.baseline)} ${f.unit}`;
    if (f.ratio !== undefined) line += `  | ratio ${fmt(f.ratio, 3)}`;
    if (f.target !== undefined) line += `  | target ${f.target}: ${f.met === true ? "MET" : f.met === false ? "MISSED" : "n/a"}`;
    lines.push(line);
  }
  for (const note of result.notes) lines.push(`  note: ${note}`);
  console.log(lines.join("\n"));
}

export function printSummary(results: readonly BenchResult[]): void {
  const rows: string[][] = [["bench", "figure", "jobgate", "baseline", "ratio", "target", "met"]];
  for (const r of results) {
    for (const f of r.figures) {
      rows.push([
        r.name,
        f.name,
        `${fmt(f.value)} ${f.unit}`,
        f.baseline === undefined ? "" : `${fmt(f.baseline)} ${f.unit}`,
        f.ratio === undefined ? "" : fmt(f.ratio, 3),
        f.target ?? "",
        f.met === undefined ? "" : f.met ? "yes" : "NO",
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  console.log("\n== summary");
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows.slice(1)) console.log(line(row));
}
