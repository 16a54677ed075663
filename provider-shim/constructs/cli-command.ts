/**
 * How a provisioner finds and starts the `jobgate` CLI.
 *
 * Default: `npx --no-install jobgate`. npm looks for the nearest `package.json` /
 * `node_modules` above the working directory, so it finds the project's installed
 * `jobgate` both from the project root and from `cdktf.out/stacks/<stack>` (where
 * `terraform apply` runs), on any machine where the project's dependencies are installed
 * — and `--no-install` makes it fail instead of downloading whatever is called
 * `jobgate` from the registry when it is not.
 *
 * Overrides, most specific first:
 *  1. the construct's `cli` prop — an argv written (shell-quoted) into the command, e.g.
 *     `["node", "/opt/jobgate/dist/provider-shim/cli/main.js"]`;
 *  2. `JOBGATE_CLI` in the environment Terraform runs in — read by the shell at apply
 *     time and split on spaces (no quoting), e.g. `JOBGATE_CLI=jobgate` for a global install.
 *
 * The command holds nothing but the CLI, the subcommand and the synth-checked timeout:
 * job ids, paths, bodies and URLs travel in the provisioner's `environment`.
 */
import { ENV } from "../../api/env.js";

export const DEFAULT_CLI_COMMAND = "npx --no-install jobgate";
/** The variable that overrides the CLI at apply time. */
export const CLI_ENV = ENV.cli;

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One POSIX-shell word that reads back as `arg`, quoted only when it needs to be. */
export function shellQuote(arg: string): string {
  return SHELL_SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Escapes Terraform's template sequences so that Terraform passes `text` through verbatim. */
export function escapeTemplate(text: string): string {
  // A function, because in a replacement string `$$` means one `$`.
  return text.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

/**
 * The `command` of a local-exec provisioner running `jobgate <args…>`. `exec` replaces
 * the shell, so Terraform's interrupt reaches the CLI and its exit code is the command's.
 */
export function cliCommand(cli: readonly string[] | undefined, args: readonly string[]): string {
  // `$${` is Terraform's escape for a literal `${`, which the shell then expands.
  const start = cli === undefined ? `$\${${CLI_ENV}:-${DEFAULT_CLI_COMMAND}}` : escapeTemplate(cli.map(shellQuote).join(" "));
  return ["exec", start, ...args.map((arg) => escapeTemplate(shellQuote(arg)))].join(" ");
}
