/**
 * The built CLI as the package's `bin`: `npx jobgate`, the constructs' default launcher
 * (`npx --no-install jobgate` in a provisioner) and a global install all run
 * dist/provider-shim/cli/main.js as an executable, through its `#!/usr/bin/env node` line.
 * npm sets the executable bit when it links a bin, and npx keeps that link cached, so every
 * `npm run build` (which `npm run synth:example` runs) must leave the file executable.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { assertBuilt, CLI } from "./helpers/cli.js";

beforeAll(() => assertBuilt());

test("the built CLI is executable and starts through its shebang (as npx and provisioners start it)", () => {
  expect(readFileSync(CLI, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  expect(statSync(CLI).mode & 0o111).toBe(0o111);
  const result = spawnSync(CLI, ["--version"], { encoding: "utf8" });
  expect(result.error).toBeUndefined();
  expect(result.status).toBe(0);
  expect(result.stdout.trim()).toBe((JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version);
});
