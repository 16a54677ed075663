/** What run.ts hands every benchmark. */
export interface BenchContext {
  /** Small sizes and short durations (development, shared machines). */
  readonly quick: boolean;
  /** Extra `--key=value` flags from the command line (e.g. --n=2000, --rounds=3). */
  readonly flags: Readonly<Record<string, string>>;
}

export function numberFlag(ctx: BenchContext, name: string, full: number, quick: number): number {
  const given = ctx.flags[name];
  if (given !== undefined) {
    const value = Number(given);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got ${JSON.stringify(given)}`);
    return value;
  }
  return ctx.quick ? quick : full;
}
