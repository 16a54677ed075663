/**
 * The package's version (the provider's and the CLI's). Found by walking up from this module to the
 * jobgate package.json (the same from the sources and from dist/); the bundle replaces
 * this module with the version inlined (build-bundle.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function findVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "jobgate" && typeof pkg.version === "string") return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find jobgate's package.json above the provider's module");
    dir = parent;
  }
}

export const PROVIDER_VERSION: string = findVersion();
