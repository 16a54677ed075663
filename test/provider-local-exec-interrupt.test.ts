/**
 * Ctrl-C on the local-exec runners (issue 12): Terraform's interrupt kills only the process
 * it started — `npm exec` for the constructs' default `npx --no-install jobgate` — and the
 * `sh -c jobgate` and `node … jobs wait` below it used to keep polling until their timeout.
 * The waiter now watches its launchers (provider-shim/cli/launcher-watch.ts) and stops when
 * one is gone. Unit: the chain is recognised, and killing a `sh -c` launcher ends the
 * waiter. End to end: nothing outlives an interrupted `terraform apply`.
 */
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Job } from "../client/index.js";
import { findLaunchers, launcherKind, parentOf } from "../provider-shim/cli/launcher-watch.js";
import { assertBuilt, CLI } from "./helpers/cli.js";
import { TOKENS } from "./helpers/keys.js";
import { startTestServer, type TestServer } from "./helpers/server.js";
import { hasTerraform, makeRoot, processesMentioning, removeRoots, warnIfNoTerraform, workspace } from "./helpers/terraform.js";

warnIfNoTerraform("test/provider-local-exec-interrupt.test.ts");

let server: TestServer;

beforeAll(async () => {
  assertBuilt();
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  removeRoots();
});

async function longJob(): Promise<Job> {
  const res = await server.request("/v1/sites/site_1/deploys", { method: "POST", body: { duration_ms: 120_000 } });
  return res.json.data as Job;
}

function environOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8");
  } catch {
    return "";
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("launchers", () => {
  test("sh -c and npm exec (renamed or not) are launchers; interactive shells and other parents are not", () => {
    expect(launcherKind(["sh", "-c", "jobgate", "jobs", "wait"])).toBe("sh -c");
    expect(launcherKind(["/bin/sh", "-c", "exec npx --no-install jobgate jobs wait"])).toBe("sh -c");
    expect(launcherKind(["npm exec jobgate jobs wait --timeout 1m"])).toBe("npm exec");
    expect(launcherKind(["/usr/bin/node", "/usr/lib/node_modules/npm/bin/npx-cli.js", "--no-install", "jobgate"])).toBe("npm exec");
    expect(launcherKind(["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "exec", "jobgate"])).toBe("npm exec");
    expect(launcherKind(["-bash"])).toBeUndefined();
    expect(launcherKind(["bash"])).toBeUndefined();
    expect(launcherKind(["terraform", "apply"])).toBeUndefined();
    expect(launcherKind(["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "test"])).toBeUndefined();
    expect(parentOf(process.pid)).toBe(process.ppid);
    expect(findLaunchers(process.pid).length).toBe(0);
  });

  test("a waiter whose sh -c launcher is killed stops at once (exit 129), instead of polling to its timeout", async () => {
    const job = await longJob();
    // sh -c "node main.js jobs wait; true": the shell stays (no exec), as npm exec's does.
    const sh = spawn("sh", ["-c", `"${process.execPath}" "${CLI}" jobs wait --timeout 3m; true`], {
      env: { PATH: process.env.PATH, JOBGATE_API_URL: server.url, JOBGATE_TOKEN: TOKENS.all, JOBGATE_JOB_ID: job.id },
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    let stderr = "";
    sh.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // Its first status line means it is up (and watching).
    await until(() => stderr.includes(`${job.id} queued`), "the waiter's first status line");
    const pid = processesMentioning(CLI).find((p) => p.cmdline.includes("jobs wait") && parentOf(p.pid) === sh.pid)!.pid;
    const killedAt = performance.now();
    process.kill(sh.pid!, "SIGKILL");
    await until(() => parentOf(pid) === undefined, "the orphaned waiter to exit", 15_000);
    // Checked every second: well within 10 s.
    expect(performance.now() - killedAt).toBeLessThan(10_000);
    expect(stderr).toContain("which started this command, is gone; stopping");
  }, 60_000);
});

(hasTerraform ? describe : describe.skip)("terraform apply interrupted while a local-exec waiter runs under npm exec", () => {
  test("after SIGINT to terraform, no npm exec, sh -c or jobgate process is left", async () => {
    const root = makeRoot("localexec");
    // A project with jobgate installed, as the constructs' default `npx --no-install jobgate` expects.
    const project = join(root, "project");
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(project, "package.json"), '{ "name": "stack", "private": true }\n');
    const bin = join(project, "node_modules", ".bin", "jobgate");
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(bin, 0o755);
    const job = await longJob();
    writeFileSync(join(root, "rc"), "");
    // The constructs' own command; data in the environment.
    writeFileSync(
      join(root, "main.tf"),
      `resource "terraform_data" "w" {\n  provisioner "local-exec" {\n    command     = "exec $\${JOBGATE_CLI:-npx --no-install jobgate} jobs wait --timeout 2m"\n    working_dir = ${JSON.stringify(project)}\n    environment = { JOBGATE_JOB_ID = "${job.id}" }\n  }\n}\n`,
    );
    const ws = workspace(root, join(root, "rc"), { JOBGATE_API_URL: server.url, JOBGATE_TOKEN: TOKENS.all });
    expect((await ws.terraform("init", "-input=false")).code).toBe(0);
    const running = ws.start("apply", "-auto-approve", "-input=false");
    // This apply's processes: those with its job id in their environment.
    const mine = () =>
      processesMentioning("jobs wait --timeout 2m").filter((p) => p.pid !== running.child.pid && environOf(p.pid).includes(`JOBGATE_JOB_ID=${job.id}`));
    try {
      // The whole chain is up: npm exec → sh -c jobgate → node … jobs wait.
      await until(() => mine().some((p) => p.cmdline.includes(CLI)), "the waiter under npm exec to start", 60_000);
      expect(mine().some((p) => p.cmdline.startsWith("npm exec"))).toBe(true);
      running.child.kill("SIGINT");
      const run = await running.done;
      expect(run.output).toContain("Interrupt received.");
      await until(() => mine().length === 0, "every waiter process to exit", 10_000);
    } finally {
      if (running.child.exitCode === null) running.child.kill("SIGKILL");
    }
    expect(mine()).toEqual([]);
  }, 120_000);
});
