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
 * Also copies the .proto files next to the tsc output, for the unbundled modules in dist/.
 * Minified (names kept): Terraform starts a provider several times per command, and each
 * start reads and compiles the script.
 */
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
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
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(PROVIDER_SRC, "bin.ts")],
    outfile: BUNDLE_PATH,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    legalComments: "eof",
    // Smaller to read and compile at each of the several starts Terraform makes per command;
    // names kept, so stack traces in the log still say where.
    minify: true,
    keepNames: true,
    logLevel: "warning",
    plugins: [inline],
    metafile: false,
  });
  if (result.errors.length > 0) process.exit(1);
  // A stray absolute path would make the bytes differ between machines.
  const text = readFileSync(BUNDLE_PATH, "utf8");
  if (text.includes(ROOT)) throw new Error(`${BUNDLE_PATH} contains the build directory ${ROOT}; it would not be byte-identical elsewhere`);
}

await main();
