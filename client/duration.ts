/**
 * Go-style durations (`300ms`, `90s`, `30m`, `1h30m`), as the CLI, the server flags
 * and the constructs take them. A bare number is refused: units are never guessed.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export class DurationError extends Error {
  override name = "DurationError";
}

/** Milliseconds in `text`; throws a `DurationError` naming `what` and the expected form. */
export function parseDuration(text: string, what = "duration"): number {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) {
    throw new DurationError(
      `${what}: ${JSON.stringify(text)} is not a duration; expected a number with a unit, such as 90s, 30m or 1h30m (units: ms, s, m, h)`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(PART)) total += Number(amount) * UNIT_MS[unit!]!;
  return Math.round(total);
}

/** The shortest Go-style spelling of `ms` (e.g. 5400000 → "1h30m"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return out;
}
