/**
 * The entry of the installed provider script (build-bundle.ts): the provider's own bundle
 * travels in it as a string, run through the V8 code cache (code-cache.ts). Only the bundle
 * defines BUNDLED_PROVIDER; `node dist/provider-shim/provider/bin.js` runs the provider without it.
 */
import { runWithCodeCache, type BundledSource } from "./code-cache.js";

declare const BUNDLED_PROVIDER: BundledSource;

try {
  runWithCodeCache(BUNDLED_PROVIDER, process.argv[1] ?? "terraform-provider-jobgate");
} catch (error) {
  process.stderr.write(`terraform-provider-jobgate: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}
