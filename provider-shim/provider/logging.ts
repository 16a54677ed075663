/**
 * The provider's log: JSON lines on stderr in hclog's shape (`@level`, `@message`,
 * `@timestamp`, `@module`), which go-plugin's host parses and re-logs at that level in
 * Terraform's own log. stdout carries the handshake line and nothing else.
 *
 * The level comes from TF_LOG_PROVIDER, else TF_LOG (TRACE, DEBUG, INFO, WARN, ERROR,
 * OFF; JSON means TRACE), as Terraform reads them; unset means errors only (Terraform
 * discards plugin logs when its own log is off anyway). Secrets registered with
 * `redact()` are cut from every line, whatever the caller passed.
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "off";
const ORDER: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, off: 5 };

export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): LogLevel {
  const raw = (env.TF_LOG_PROVIDER?.trim() || env.TF_LOG?.trim() || "").toLowerCase();
  if (raw === "") return "error";
  if (raw === "json") return "trace";
  if (raw in ORDER) return raw as LogLevel;
  // Terraform treats an unrecognised non-empty TF_LOG as TRACE.
  return "trace";
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export class Logger {
  readonly #secrets = new Set<string>();

  constructor(
    readonly level: LogLevel,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly module = "provider.terraform-provider-jobgate",
  ) {}

  /** Never show `secret` in a log line again. */
  redact(secret: string | undefined): void {
    if (secret === undefined || secret.length < 4) return;
    this.#secrets.add(secret);
    // Lines are JSON: a secret with `"` or `\` shows escaped there.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) this.#secrets.add(escaped);
  }

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.level] && this.level !== "off";
  }

  trace(message: string, fields?: LogFields): void {
    this.log("trace", message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  log(level: Exclude<LogLevel, "off">, message: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    const entry: Record<string, unknown> = { "@level": level, "@message": message, "@module": this.module, "@timestamp": hclogTimestamp(new Date()) };
    for (const [key, value] of Object.entries(fields)) if (value !== undefined) entry[key] = value;
    let line = JSON.stringify(entry);
    for (const secret of this.#secrets) line = line.split(secret).join("[redacted]");
    this.write(`${line}\n`);
  }
}

/**
 * hclog's JSON time format, `2006-01-02T15:04:05.000000Z07:00`: go-plugin parses
 * `@timestamp` with exactly that layout, microseconds and all, and a line it cannot parse
 * is re-logged whole at DEBUG — its level lost, so an error would hide below TF_LOG=INFO.
 */
export function hclogTimestamp(date: Date): string {
  return date.toISOString().replace(/Z$/, "000Z");
}
