/**
 * `jobgate provider install [--dir DIR] [--platform OS_ARCH]…` — put terraform-provider-
 * jobgate where `terraform init` finds it with no registry and no CLI configuration
 * (spec §11). See provider-shim/provider/install.ts for the layout.
 */
import type { Command } from "commander";
import { fileURLToPath } from "node:url";
import { currentPlatform, defaultPluginDir, installProvider, InstallError, REGISTRY_HOSTS } from "../../provider/install.js";
import { PROVIDER_VERSION } from "../../provider/version.js";
import { EXIT } from "../exit-codes.js";

/** The bundle, from dist/provider-shim/cli/commands/provider.js. */
const BUNDLE = fileURLToPath(new URL("../../../provider/terraform-provider-jobgate.cjs", import.meta.url));

export function registerProvider(program: Command): void {
  const provider = program
    .command("provider")
    .summary("install the jobgate Terraform provider")
    .description("The jobgate/jobgate Terraform provider (terraform-provider-jobgate).");
  provider
    .command("install")
    .summary("write the provider into a local plugin directory (air-gapped terraform init)")
    .description(
      `Writes terraform-provider-jobgate ${PROVIDER_VERSION} for ${REGISTRY_HOSTS.map((host) => `${host}/jobgate/jobgate`).join(" and ")} into DIR, ` +
        "in the unpacked layout Terraform's local mirrors use. With the default DIR, `terraform init` finds it by itself; " +
        "elsewhere, point a filesystem_mirror at DIR. The files are the same bytes on every machine, so lock file hashes are stable. " +
        "Needs `node` (>= 20.19) on the PATH Terraform runs with.",
    )
    .option("--dir <dir>", `plugin directory (default ${defaultPluginDir()})`)
    .option("--platform <os_arch>", `platform to write it for, repeatable (default ${currentPlatform()}); the package is the same for every platform`, collect)
    .addHelpText(
      "after",
      `
Examples:
  $ jobgate provider install
  $ jobgate provider install --dir ./terraform-plugins --platform linux_amd64 --platform darwin_arm64
  $ terraform providers lock -fs-mirror=./terraform-plugins -platform=linux_amd64 -platform=darwin_arm64

Exit codes: 0 installed (or already up to date), 2 a bad --platform or an unbuilt checkout, 1 DIR cannot be written.
`,
    )
    .action((flags: { dir?: string; platform?: string[] }) => {
      try {
        const installed = installProvider({
          bundlePath: BUNDLE,
          version: PROVIDER_VERSION,
          ...(flags.dir !== undefined ? { dir: flags.dir } : {}),
          ...(flags.platform !== undefined ? { platforms: flags.platform } : {}),
        });
        for (const { path, written } of installed.executables) process.stdout.write(`${written ? "installed" : "up to date"} ${path}\n`);
      } catch (error) {
        if (error instanceof InstallError) {
          process.stderr.write(`jobgate: ${error.message}\n`);
          process.exit(EXIT.usage);
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === "string") {
          // A directory that cannot be written: say which, without a stack trace.
          process.stderr.write(`jobgate: cannot write the provider into ${flags.dir ?? defaultPluginDir()}: ${(error as Error).message}\n`);
          process.exit(EXIT.failed);
        }
        throw error;
      }
    });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
