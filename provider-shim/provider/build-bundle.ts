/**
 * `npm run build` step 2 (after tsc): the provider as ONE self-contained CommonJS script,
 * `dist/provider/terraform-provider-jobgate.cjs`, which `jobgate provider install` copies
 * byte for byte into a plugin directory. esbuild bundles the TypeScript sources and their
 * dependencies (grpc-js, protobufjs, msgpack, the jobs client); the modules that read files
 * at run time (the .proto texts, the version) are replaced by their contents, so the script
 * needs nothing beside it but `node`. Module paths in it are relative to the repository and
 * nothing varies between builds, so one version's script is the same bytes everywhere.
 *
 * CommonJS because the installed name ends in `_v0.1.0`: Node reads `.0` as an extension and
 * refuses to load such a file as an ES module (ERR_UNKNOWN_FILE_EXTENSION).
 *
 * Two layers, because Terraform starts a provider four times per apply and each start
 * used to compile the whole bundle: the provider's bundle is carried as a string by a small
 * script (bundle-entry.ts) that compiles it with a V8 code cache (code-cache.ts).
 *
 * Also copies the .proto files next to the tsc output, for the unbundled modules in dist/.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import type { BundledSource } from "./code-cache.js";
import { PROTO_FILES as SOURCE_PROTO_FILES, protoDescriptor } from "./protocol/proto-sources.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const PROVIDER_SRC = join(ROOT, "provider-shim/provider");
export const BUNDLE_PATH = join(ROOT, "dist/provider/terraform-provider-jobgate.cjs");
const PROTO_FILES = [...SOURCE_PROTO_FILES];

const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

const inline: Plugin = {
  name: "inline-runtime-files",
  setup(b) {
    b.onLoad({ filter: /provider-shim[\\/]provider[\\/]protocol[\\/]proto-sources\.ts$/ }, () => {
      // Parsed here, once, with the same code the sources run (dist/…/proto-sources.js).
      const descriptor = protoDescriptor();
      return {
        loader: "ts",
        contents: `export const PROTO_FILES = ${JSON.stringify(PROTO_FILES)};\nexport function protoDescriptor(): any { return ${JSON.stringify(descriptor)}; }\n`,
      };
    });
    b.onLoad({ filter: /provider-shim[\\/]provider[\\/]version\.ts$/ }, () => ({
      loader: "ts",
      contents: `export const PROVIDER_VERSION: string = ${JSON.stringify(version)};\n`,
    }));
  },
};

async function main(): Promise<void> {
  // First, so that the parse in `inline` (dist's proto-sources.js) finds them.
  const protoOut = join(ROOT, "dist/provider-shim/provider/protocol");
  mkdirSync(protoOut, { recursive: true });
  for (const file of PROTO_FILES) copyFileSync(join(PROVIDER_SRC, "protocol", file), join(protoOut, file));
  // The provider itself, as one CommonJS source…
  const provider = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(PROVIDER_SRC, "bin.ts")],
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    legalComments: "eof",
    // Smaller to read; names kept, so stack traces in the log still say where.
    minify: true,
    keepNames: true,
    // import() of a builtin becomes require(): the source runs as a vm.Script, where import() has no loader.
    supported: { "dynamic-import": false },
    logLevel: "warning",
    plugins: [inline],
  });
  if (provider.errors.length > 0 || provider.outputFiles[0] === undefined) process.exit(1);
  const source = provider.outputFiles[0].text.replace(/^#!.*\n/, "");
  const bundled: BundledSource = { source, id: createHash("sha256").update(source).digest("hex").slice(0, 16) };
  // …carried as a string by the script that runs it through the V8 code cache (code-cache.ts).
  const script = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(PROVIDER_SRC, "bundle-entry.ts")],
    outfile: BUNDLE_PATH,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    banner: { js: "#!/usr/bin/env node" },
    define: { BUNDLED_PROVIDER: JSON.stringify(bundled) },
    minify: true,
    keepNames: true,
    logLevel: "warning",
  });
  if (script.errors.length > 0) process.exit(1);
  chmodSync(BUNDLE_PATH, 0o755);
  // A stray absolute path would make the bytes differ between machines.
  const text = readFileSync(BUNDLE_PATH, "utf8");
  if (text.includes(ROOT)) throw new Error(`${BUNDLE_PATH} contains the build directory ${ROOT}; it would not be byte-identical elsewhere`);
}

await main();
