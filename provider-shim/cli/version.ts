/** The CLI's version: the package's, read once from package.json beside dist/. */
import { readFileSync } from "node:fs";

function readVersion(): string {
  // dist/provider-shim/cli/ when built; provider-shim/cli/ when run from the sources (tests).
  for (const path of ["../../../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "jobgate" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return "unknown";
}

export const CLI_VERSION = readVersion();
