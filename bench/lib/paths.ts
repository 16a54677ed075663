import { fileURLToPath } from "node:url";

/**
 * Where things are, from the compiled bench (dist/bench/lib/paths.js): the repository
 * root, the jobgate CLI, the dev keys and the git-ignored results folder.
 */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../provider-shim/cli/main.js", import.meta.url));
export const KEYS_FILE = `${ROOT}examples/keys.json`;
export const RESULTS_DIR = `${ROOT}bench/results`;
export const AUTOCANNON = `${ROOT}node_modules/autocannon/autocannon.js`;

/** The compiled sibling script `dist/bench/<relative>.js`. */
export function benchScript(relative: string): string {
  return fileURLToPath(new URL(`../${relative}.js`, import.meta.url));
}

/** The dev key allowed everything (examples/keys.json), account acct_dev. */
export const TOKEN = "mfk_dev_all";
export const FORGE_VERSION = "2026-06-23";
