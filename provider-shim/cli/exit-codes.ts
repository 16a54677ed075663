/**
 * Exit codes of `jobgate jobs …` and `jobgate call …` (spec §9), decided in this one place
 * from the client's error classes. A waiter that exits 0 on anything but success breaks
 * deploys, so anything unrecognised exits non-zero.
 */
import {
  isAuthError,
  isConfigError,
  isHttpError,
  isJobFailedError,
  isJobgateError,
  isNotFoundError,
  isTimeoutError,
  isUnreachableError,
} from "../../client/errors.js";
import { printable } from "./printable.js";

export const EXIT = {
  succeeded: 0,
  failed: 1,
  usage: 2,
  timeout: 3,
  auth: 4,
  notFound: 5,
  unreachable: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeOf(error: unknown): ExitCode {
  if (isJobFailedError(error)) return EXIT.failed;
  if (isTimeoutError(error)) return EXIT.timeout;
  if (isAuthError(error)) return EXIT.auth;
  if (isNotFoundError(error)) return EXIT.notFound;
  if (isUnreachableError(error)) return EXIT.unreachable;
  // The server answered something that is not the jobs API: as good as unreachable.
  if (isHttpError(error) && error.code === "invalid_response") return EXIT.unreachable;
  // Any other 4xx (bad path, bad body, unsupported Forge-Version, conflict) is the caller's to fix.
  if (isHttpError(error) || isConfigError(error)) return EXIT.usage;
  if (isDurationError(error)) return EXIT.usage;
  return EXIT.failed;
}

/** The one line written to stderr for `error` (never the token: the client leaves it out). */
export function errorLine(error: unknown): string {
  if (isJobFailedError(error)) return `jobgate: job ${error.job.id} failed: ${printable(error.jobError.code)}: ${printable(error.jobError.message)}`;
  if (isJobgateError(error) || isDurationError(error)) return `jobgate: ${printable((error as Error).message)}`;
  const message =
    error instanceof Error || (typeof error === "object" && error !== null && "message" in error) ? String((error as Error).message) : String(error);
  return `jobgate: unexpected error: ${printable(message)}`;
}

function isDurationError(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as Error).name === "DurationError";
}
