import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./serve-options.js";

/**
 * Structured JSON logs. Nothing that could carry a credential is ever passed to the
 * logger (no headers, no bodies); redaction is a second line of defence.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      name: "jobgate",
      level,
      base: undefined,
      redact: { paths: ["authorization", "token", "*.authorization", "*.token", "headers.authorization"], censor: "[redacted]" },
    },
    destination,
  );
}
