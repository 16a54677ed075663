/**
 * Ends a waiter whose launcher is gone. Terraform's interrupt kills only the process it
 * started; for the constructs' default command that is `npm exec` (npx), and the `sh -c`
 * and `node … jobgate jobs wait` that npm started below it were left orphaned, polling
 * until their timeout (issue 12). So at start the waiter notes its chain of launchers —
 * the ancestors that only exist to start it: `sh -c` shells and `npm exec`/`npx` — and
 * every second checks that each is still there with the same parent. When one is gone
 * (killed, or re-parented because the process above it died), the waiter stops at once.
 *
 * An interactive shell or a plain parent process is not a launcher: `nohup jobgate jobs
 * wait … &` from a terminal still outlives the terminal. Linux only (/proc); elsewhere it
 * does nothing.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

export const LAUNCHER_CHECK_MS = 1000;
const MAX_DEPTH = 8;
const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ash", "ksh", "busybox"]);

interface Launcher {
  readonly pid: number;
  readonly ppid: number;
  readonly what: string;
}

/** The parent pid of `pid`, from /proc; undefined when the process is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid …" — comm may hold spaces and parentheses: split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined; // a zombie is gone
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((a) => a !== "");
  } catch {
    return [];
  }
}

/** "sh -c" or "npm exec" when the process only exists to start what is below it. */
export function launcherKind(argv: readonly string[]): string | undefined {
  if (argv.length === 0) return undefined;
  const first = argv[0]!;
  const name = basename(first.split(" ")[0]!);
  if (SHELLS.has(name) && argv.slice(1).includes("-c")) return `${name} -c`;
  // npm renames its process ("npm exec jobgate …"); unrenamed it is npx, or node …/npx-cli.js, or node …/npm-cli.js exec.
  if (/^npm (exec|x)( |$)/.test(first) || name === "npx") return "npm exec";
  const script = argv[1] ?? "";
  if ((name === "node" || name === "nodejs") && (script.endsWith("npx-cli.js") || (script.endsWith("npm-cli.js") && ["exec", "x"].includes(argv[2] ?? "")))) {
    return "npm exec";
  }
  return undefined;
}

/** The launchers above this process, nearest first. */
export function findLaunchers(startPid: number = process.ppid): Launcher[] {
  const chain: Launcher[] = [];
  let pid = startPid;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1; depth++) {
    const what = launcherKind(argvOf(pid));
    if (what === undefined) break;
    const ppid = parentOf(pid);
    if (ppid === undefined) break;
    chain.push({ pid, ppid, what });
    pid = ppid;
  }
  return chain;
}

/**
 * Calls `onGone` (once) when a launcher above this process disappears. Returns a function
 * that stops watching. The timer does not keep the process alive.
 */
export function watchLaunchers(onGone: (description: string) => void, intervalMs = LAUNCHER_CHECK_MS): () => void {
  if (process.platform !== "linux") return () => undefined;
  const launchers = findLaunchers();
  if (launchers.length === 0) return () => undefined;
  const timer = setInterval(() => {
    for (const launcher of launchers) {
      if (parentOf(launcher.pid) !== launcher.ppid) {
        clearInterval(timer);
        onGone(`${launcher.what} (pid ${launcher.pid})`);
        return;
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
