/**
 * Runs the provider's bundled source with a V8 code cache, so that a start after the first
 * skips most of compiling it: Terraform starts a provider four times per apply, and compiling
 * the ~1 MB bundle was a quarter of each start. (Node 22's module.enableCompileCache does
 * this for modules; Node 20 has only vm.Script's cachedData.)
 *
 * The cache is one file per bundle (named by a hash of its source, which V8 itself does not
 * check — it compares lengths) and per Node version, in the user's cache directory:
 * `$XDG_CACHE_HOME/jobgate` or `~/.cache/jobgate` (`~/Library/Caches/jobgate` on macOS,
 * `%LOCALAPPDATA%\jobgate` on Windows). It is written atomically when the process exits, if
 * it was missing, refused by V8 or not safe to read; other bundles' cache files are removed
 * then. Only a directory and file of our own, writable by no one else, are read. Everything
 * here is an optimisation: any failure leaves the provider to run uncached, and deleting
 * the directory is always safe.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { Script } from "node:vm";

const CACHE_PREFIX = "terraform-provider-jobgate-";

/**
 * How this start used the cache, left on the global object for the provider's log (main.ts):
 * `used`; `missing` (none yet: written at exit); `refused` (V8 would not take it: rewritten at
 * exit); `unsafe` (the file or directory is another user's, or writable by others: ignored);
 * `off` (no cache directory). All but `used` and `off` write it at exit, into a directory of
 * our own only.
 */
export type CodeCacheUse = "used" | "missing" | "refused" | "unsafe" | "off";
export interface CodeCacheReport {
  readonly use: CodeCacheUse;
  readonly file: string | undefined;
}
export const CODE_CACHE_REPORT = Symbol.for("jobgate.provider.codeCache");

export function codeCacheReport(): CodeCacheReport | undefined {
  return (globalThis as Record<symbol, CodeCacheReport | undefined>)[CODE_CACHE_REPORT];
}

export interface BundledSource {
  /** The CommonJS source, without a shebang. */
  readonly source: string;
  /** Names this source: a hash of it, made when it was built. */
  readonly id: string;
}

/** Where this user's jobgate cache lives, or undefined when there is no home to put it in. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.XDG_CACHE_HOME !== undefined && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, "jobgate");
  if (platform === "win32") return env.LOCALAPPDATA === undefined ? undefined : join(env.LOCALAPPDATA, "jobgate");
  let home: string;
  try {
    home = homedir();
  } catch {
    return undefined;
  }
  if (home === "") return undefined;
  return platform === "darwin" ? join(home, "Library", "Caches", "jobgate") : join(home, ".cache", "jobgate");
}

/** The cache file for a bundle on this Node: another Node's V8 would refuse the other's data. */
export function cacheFileName(id: string): string {
  return `${CACHE_PREFIX}${id}-node${process.versions.node}-${process.arch}.v8cache`;
}

/**
 * Compiles and runs `bundle` as the CommonJS module at `filename`, with the code cache in
 * `directory` (none when undefined).
 */
export function runWithCodeCache(bundle: BundledSource, filename: string, directory: string | undefined = cacheDirectory()): CodeCacheReport {
  const file = directory === undefined ? undefined : join(directory, cacheFileName(bundle.id));
  const found = file === undefined ? undefined : readOwnFile(file);
  const cachedData = Buffer.isBuffer(found) ? found : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${bundle.source}\n})`, {
    filename,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
  const use: CodeCacheUse =
    file === undefined ? "off" : found === "unsafe" ? "unsafe" : cachedData === undefined ? "missing" : script.cachedDataRejected === true ? "refused" : "used";
  if (file !== undefined && use !== "used") {
    // At exit the data covers every function this run compiled, not only the top level.
    process.once("exit", () => writeCache(file, bundle.id, () => script.createCachedData()));
  }
  const report: CodeCacheReport = { use, file };
  (globalThis as Record<symbol, CodeCacheReport>)[CODE_CACHE_REPORT] = report;
  const run = script.runInThisContext() as (exports: object, require: NodeRequire, module: object, filename: string, dirname: string) => void;
  const module = { exports: {} };
  run.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  return report;
}

/** The file's bytes; "unsafe" when it or its directory is not ours alone; undefined when there is none (or it cannot be read). */
function readOwnFile(file: string): Buffer | "unsafe" | undefined {
  try {
    if (!ownedAndPrivate(dirname(file)) || !ownedAndPrivate(file)) return "unsafe";
    return readFileSync(file);
  } catch {
    return undefined; // none yet, or unreadable: run uncached
  }
}

function ownedAndPrivate(path: string): boolean {
  if (process.getuid === undefined) return true; // Windows: a user's LOCALAPPDATA is theirs
  const stat = statSync(path);
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
}

function writeCache(file: string, id: string, data: () => Buffer): void {
  const directory = dirname(file);
  const partial = `${file}.${process.pid}.partial`;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    if (!ownedAndPrivate(directory)) return;
    writeFileSync(partial, data(), { mode: 0o600 });
    renameSync(partial, file);
    // Another version's bundle will not run again from here; this one under another Node may.
    const ours = `${CACHE_PREFIX}${id}-`;
    for (const name of readdirSync(directory)) {
      if (name.startsWith(CACHE_PREFIX) && !name.startsWith(ours) && !name.endsWith(".partial")) rmSync(join(directory, name), { force: true });
    }
  } catch {
    try {
      rmSync(partial, { force: true });
    } catch {
      // nothing more to do: the next start writes it again
    }
  }
}
