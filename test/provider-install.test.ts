/**
 * `jobgate provider install` as a command (the built CLI): what --help says, and how it
 * fails. The install itself, with real terraform, is in provider-e2e.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt, CLI } from "./helpers/cli.js";
import { currentPlatform } from "../provider-shim/provider/install.js";

beforeAll(() => assertBuilt());

const install = (...args: string[]) => spawnSync(process.execPath, [CLI, "provider", "install", ...args], { encoding: "utf8" });

test("--help names the defaults the code uses, once each, and the exit codes", () => {
  const help = install("--help");
  expect(help.status).toBe(0);
  const text = help.stdout.replace(/\s+/g, " "); // commander wraps to the terminal's width
  expect(text).toContain(`(default ${currentPlatform()})`);
  expect(text).not.toContain("(default: [])");
  expect(text).toContain("registry.terraform.io/jobgate/jobgate and registry.opentofu.org/jobgate/jobgate");
  expect(text).toContain("Exit codes: 0 installed");
});

test("a bad --platform exits 2 naming it; a DIR that cannot be written exits 1 naming it, without a stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "jobgate-install-"));
  const bad = install("--dir", dir, "--platform", "linux-amd64");
  expect(bad.status).toBe(2);
  expect(bad.stderr).toBe('jobgate: --platform must look like linux_amd64 or darwin_arm64, got "linux-amd64"\n');
  const file = join(dir, "a-file");
  writeFileSync(file, "");
  const unwritable = install("--dir", join(file, "plugins"));
  expect(unwritable.status).toBe(1);
  expect(unwritable.stderr).toMatch(new RegExp(`^jobgate: cannot write the provider into ${join(file, "plugins")}: ENOTDIR`));
  expect(unwritable.stderr).not.toContain("    at ");
});
