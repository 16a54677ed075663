/**
 * Running the real `terraform` for the suites: workspaces in temp dirs, each with its own
 * TF_DATA_DIR, and a CLI configuration whose only provider source for jobgate/* is a
 * filesystem mirror filled by `jobgate provider install --dir` (or none, for local-exec) —
 * so nothing is read from or written to the user's ~/.terraform.d, and no registry is asked.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./cli.js";

export const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

export function warnIfNoTerraform(suite: string): void {
  if (hasTerraform) return;
  console.warn(
    "\n" +
      "################################################################################\n" +
      `#  SKIPPING ${suite}: \`terraform\` is not on PATH.\n` +
      "#  Its real Terraform end-to-end tests did NOT run. Install Terraform >= 1.4.   #\n" +
      "################################################################################\n",
  );
}

export interface TerraformRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
  readonly stdout: string;
  /** Date.now() when the command started and ended, to compare with a job's times. */
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface RunningTerraform {
  readonly child: ChildProcess;
  output(): string;
  readonly done: Promise<TerraformRun>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Bound on one terraform command; generous, the machines are shared. */
export const TERRAFORM_TIMEOUT_MS = 90_000;

export function startTerraform(cwd: string, env: NodeJS.ProcessEnv, args: readonly string[]): RunningTerraform {
  const startedAt = Date.now();
  const child = spawn("terraform", [...args, ...(args[0] === "output" || args[0] === "show" ? [] : ["-no-color"])], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer, isStdout: boolean): void => {
    output += chunk.toString();
    if (isStdout) stdout += chunk.toString();
    for (const w of watchers.splice(0)) (w.pattern.test(output) ? w.resolve : () => watchers.push(w))();
  };
  child.stdout.on("data", (c: Buffer) => onData(c, true));
  child.stderr.on("data", (c: Buffer) => onData(c, false));
  const timer = setTimeout(() => child.kill("SIGKILL"), TERRAFORM_TIMEOUT_MS);
  const done = new Promise<TerraformRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, stdout, startedAt, endedAt: Date.now() });
    });
  });
  return {
    child,
    output: () => output,
    done,
    waitFor(pattern, timeoutMs = 60_000) {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`terraform output never matched ${pattern}:\n${output}`)), timeoutMs);
        watchers.push({ pattern, resolve: () => (clearTimeout(t), resolve()) });
        void done.then(() => reject(new Error(`terraform exited before its output matched ${pattern}:\n${output}`)));
      });
    },
  };
}

export interface Workspace {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  terraform(...args: string[]): Promise<TerraformRun>;
  start(...args: string[]): RunningTerraform;
}

const roots: string[] = [];

/** A CLI configuration that takes jobgate/* only from `mirror`, and everything else from nowhere. */
export function writeCliConfig(dir: string, mirror: string): string {
  const path = join(dir, "terraformrc");
  writeFileSync(
    path,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/jobgate/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/jobgate/*"]\n  }\n}\n`,
  );
  return path;
}

/** `jobgate provider install --dir <tmp>` with the built CLI; returns the directory. */
export function installProviderTo(dir: string): { dir: string; stdout: string } {
  const result = spawnSync(process.execPath, [CLI, "provider", "install", "--dir", dir], { encoding: "utf8", env: { PATH: process.env.PATH } });
  if (result.status !== 0) throw new Error(`jobgate provider install failed (${result.status}): ${result.stderr}`);
  return { dir, stdout: result.stdout };
}

export function makeRoot(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `jobgate-tfp-${name}-`));
  roots.push(root);
  return root;
}

export function workspace(dir: string, cliConfig: string, extraEnv: NodeJS.ProcessEnv): Workspace {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("TF_") || name.startsWith("JOBGATE_")) delete env[name];
  Object.assign(env, {
    TF_DATA_DIR: join(dir, ".terraform"),
    TF_CLI_CONFIG_FILE: cliConfig,
    // The provider's code cache, kept inside the workspace rather than the user's ~/.cache.
    XDG_CACHE_HOME: join(dir, ".cache"),
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    ...extraEnv,
  });
  return {
    dir,
    env,
    terraform: (...args) => startTerraform(dir, env, args).done,
    start: (...args) => startTerraform(dir, env, args),
  };
}

/** `terraform init` in `ws`, which must succeed. */
export async function initWorkspace(ws: { readonly dir: string; terraform(...args: string[]): Promise<TerraformRun> }): Promise<void> {
  const run = await ws.terraform("init", "-input=false");
  if (run.code !== 0) throw new Error(`terraform init failed in ${ws.dir}:\n${run.output}`);
}

export function removeRoots(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

/** Terraform wraps diagnostics at 78 columns even off a terminal; compare with spaces squeezed. */
export function flat(text: string): string {
  return text.replace(/\s+/g, " ");
}

/** Processes whose command line mentions `needle` (Linux /proc), other than this one. */
export function processesMentioning(needle: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  const result = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  for (const line of result.stdout.split("\n")) {
    const match = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (match && match[2]!.includes(needle) && Number(match[1]) !== process.pid && !match[2]!.startsWith("ps "))
      found.push({ pid: Number(match[1]), cmdline: match[2]! });
  }
  return found;
}
