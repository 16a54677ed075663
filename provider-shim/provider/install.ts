/**
 * The provider package as Terraform's local mirrors want it ("unpacked layout"):
 *
 *   DIR/<host>/jobgate/jobgate/<version>/<os>_<arch>/terraform-provider-jobgate_v<version>
 *
 * for both registry.terraform.io and registry.opentofu.org, so `source = "jobgate/jobgate"`
 * resolves under Terraform and OpenTofu alike. DIR defaults to ~/.terraform.d/plugins, the
 * implied local mirror Terraform searches with no CLI configuration.
 *
 * The executable is the bundle `npm run build` made (build-bundle.ts), copied byte for byte,
 * beside a `package.json` that pins it to CommonJS whatever package.json sits above DIR.
 * Both files are the same bytes on every machine and every platform for a version, so the
 * `h1:` hash in .terraform.lock.hcl is the same everywhere.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const PROVIDER_NAMESPACE = "jobgate";
export const PROVIDER_TYPE = "jobgate";
export const REGISTRY_HOSTS = ["registry.terraform.io", "registry.opentofu.org"] as const;
/** Beside the executable: keeps Node from reading it as an ES module under a "type": "module" package. */
export const PACKAGE_JSON = `${JSON.stringify({ type: "commonjs" })}\n`;

export function executableName(version: string): string {
  return `terraform-provider-${PROVIDER_TYPE}_v${version}`;
}

/** Terraform's name for this machine's platform, e.g. `linux_amd64`, `darwin_arm64`. */
export function currentPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const os = platform === "win32" ? "windows" : platform;
  const cpu = ({ x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" } as Record<string, string>)[arch] ?? arch;
  return `${os}_${cpu}`;
}

export function defaultPluginDir(): string {
  return join(homedir(), ".terraform.d", "plugins");
}

export class InstallError extends Error {
  override name = "InstallError";
}

export interface InstallOptions {
  /** The plugin directory. @default ~/.terraform.d/plugins */
  readonly dir?: string;
  /** Platforms (`os_arch`) to write the package for. @default [this machine's] */
  readonly platforms?: readonly string[];
  /** The bundle to install. */
  readonly bundlePath: string;
  readonly version: string;
}

export interface Installed {
  readonly dir: string;
  /** The executables written or already in place. */
  readonly executables: readonly { path: string; written: boolean }[];
}

export function installProvider(options: InstallOptions): Installed {
  const dir = options.dir ?? defaultPluginDir();
  const platforms = options.platforms ?? [currentPlatform()];
  for (const platform of platforms) {
    if (!/^[a-z0-9]+_[a-z0-9]+$/.test(platform))
      throw new InstallError(`--platform must look like linux_amd64 or darwin_arm64, got ${JSON.stringify(platform)}`);
    if (platform.startsWith("windows_")) {
      throw new InstallError("windows is not supported: Terraform on Windows runs only .exe providers, and this provider is a Node.js script");
    }
  }
  if (!existsSync(options.bundlePath)) {
    throw new InstallError(`${options.bundlePath} is missing: this jobgate was not built (run \`npm run build\` in a checkout; the npm package ships it)`);
  }
  const bundle = readFileSync(options.bundlePath);
  const executables: { path: string; written: boolean }[] = [];
  for (const host of REGISTRY_HOSTS) {
    for (const platform of platforms) {
      const packageDir = join(dir, host, PROVIDER_NAMESPACE, PROVIDER_TYPE, options.version, platform);
      const executable = join(packageDir, executableName(options.version));
      mkdirSync(packageDir, { recursive: true });
      const written = writeIfDifferent(executable, bundle, 0o755);
      writeIfDifferent(join(packageDir, "package.json"), Buffer.from(PACKAGE_JSON), 0o644);
      executables.push({ path: executable, written });
    }
  }
  return { dir, executables };
}

function writeIfDifferent(path: string, content: Buffer, mode: number): boolean {
  if (existsSync(path) && readFileSync(path).equals(content)) {
    chmodSync(path, mode);
    return false;
  }
  // Write beside and rename, so a Terraform starting meanwhile never runs half a file.
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, path);
  return true;
}
