/** Flag values shared by the waiting commands, checked into what the client takes. */
import { ConfigError } from "../../client/errors.js";
import { parseDuration } from "../../client/duration.js";

/** `--timeout`: a Go-style duration above zero, in ms. */
export function timeoutMs(text: string, flag = "--timeout"): number {
  let ms: number;
  try {
    ms = parseDuration(text, flag);
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
  if (ms <= 0) throw new ConfigError(`${flag}: must be more than zero, such as 90s, 30m or 1h30m`);
  return ms;
}

/** A value from the argument, else from the environment variable, else a usage error. */
export function fromArgOrEnv(value: string | undefined, variable: string, what: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = value ?? (env[variable]?.trim() || undefined);
  if (chosen === undefined || chosen.trim() === "") throw new ConfigError(`${what} is required: pass it as an argument or set ${variable}`);
  return chosen.trim();
}
