/**
 * Runs a subcommand's action and turns what it throws into the exit code (exit-codes.ts)
 * and one line on stderr. A signal aborts the action's signal and exits with the shell's
 * convention, 128 + the signal's number: SIGINT (Ctrl-C) 130, SIGTERM 143; so does the
 * loss of the launcher that started the command (launcher-watch.ts), with 129 (SIGHUP's).
 */
import { errorLine, exitCodeOf, type ExitCode } from "./exit-codes.js";
import { watchLaunchers } from "./launcher-watch.js";

/** 128 + the signal's number, as shells report a command a signal ended. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export type Action<Args extends unknown[]> = (signal: AbortSignal, ...args: Args) => Promise<ExitCode | void>;

export function runAction<Args extends unknown[]>(action: Action<Args>): (...args: Args) => Promise<void> {
  return async (...args: Args) => {
    const controller = new AbortController();
    const onSignal = (signal: NodeJS.Signals): void => {
      const code = SIGNAL_EXIT[signal as keyof typeof SIGNAL_EXIT] ?? 130;
      controller.abort();
      process.exitCode = code;
      setImmediate(() => process.exit(code));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const stopWatching = watchLaunchers((launcher) => {
      controller.abort();
      process.exitCode = 129;
      try {
        process.stderr.write(`jobgate: ${launcher}, which started this command, is gone; stopping\n`);
      } catch {
        // nobody may be reading any more
      }
      setImmediate(() => process.exit(129));
    });
    let code: ExitCode | void;
    try {
      code = await action(controller.signal, ...args);
    } catch (error) {
      if (controller.signal.aborted) return;
      process.stderr.write(`${errorLine(error)}\n`);
      code = exitCodeOf(error);
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      stopWatching();
    }
    // Exit now rather than when idle keep-alive sockets close: a waiter's exit is its answer.
    const exitCode = code ?? 0;
    process.exitCode = exitCode;
    process.stdout.write("", () => process.stderr.write("", () => process.exit(exitCode)));
  };
}
