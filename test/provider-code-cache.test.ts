/**
 * The installed provider's V8 code cache (provider-shim/provider/code-cache.ts), with the
 * built bundle: the first start writes it at exit into the user's cache directory, private to
 * them; later starts use it; a damaged file is refused by V8 and rewritten, a file or directory
 * others may write is never read, and another bundle's file is removed. What each start did is
 * in the provider's debug log.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheDirectory } from "../provider-shim/provider/code-cache.js";
import { assertBundleBuilt, healthOf, hostCertificate, providerEnv, removeProviderCache, startProvider } from "./helpers/provider.js";

const roots: string[] = [];
beforeAll(() => assertBundleBuilt());
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
  removeProviderCache();
});

function cacheHome(): string {
  const root = mkdtempSync(join(tmpdir(), "jobgate-code-cache-"));
  roots.push(root);
  return root;
}

/** One start with XDG_CACHE_HOME=home: what it logged about the cache, once it has served a call and exited. */
async function startOnce(home: string): Promise<string> {
  const host = hostCertificate();
  const p = startProvider(providerEnv(host, { XDG_CACHE_HOME: home, TF_LOG_PROVIDER: "debug" }));
  const hs = await p.handshake;
  expect(await healthOf(hs, host)).toBe(1);
  p.child.kill("SIGTERM");
  expect(await p.exited).toEqual({ code: 0, signal: null });
  const line = p
    .stderr()
    .split("\n")
    .find((l) => l.includes("code cache"));
  expect(line).toBeDefined();
  return (JSON.parse(line!) as { "@message": string })["@message"];
}

function cacheFiles(home: string): string[] {
  const dir = join(home, "jobgate");
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe("the provider's code cache", () => {
  test("the first start writes it at exit, private to the user; the next starts use it", async () => {
    const home = cacheHome();
    expect(await startOnce(home)).toBe("code cache missing");
    const files = cacheFiles(home);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^terraform-provider-jobgate-[0-9a-f]{16}-node${process.versions.node}-${process.arch}\\.v8cache$`));
    expect(statSync(join(home, "jobgate")).mode & 0o777).toBe(0o700);
    expect(statSync(join(home, "jobgate", files[0]!)).mode & 0o777).toBe(0o600);
    expect(await startOnce(home)).toBe("code cache used");
    expect(await startOnce(home)).toBe("code cache used");
    expect(cacheFiles(home)).toEqual(files);
  });

  test("a damaged file is refused by V8 and rewritten; the provider runs either way", async () => {
    const home = cacheHome();
    await startOnce(home);
    const [file] = cacheFiles(home);
    const path = join(home, "jobgate", file!);
    writeFileSync(path, Buffer.alloc(statSync(path).size, 0x5a), { mode: 0o600 });
    expect(await startOnce(home)).toBe("code cache refused");
    expect(await startOnce(home)).toBe("code cache used");
  });

  test("a directory others may write is never read nor written; a file others may write is replaced", async () => {
    const home = cacheHome();
    await startOnce(home);
    const dir = join(home, "jobgate");
    const [file] = cacheFiles(home);
    chmodSync(join(dir, file!), 0o666);
    expect(await startOnce(home)).toBe("code cache unsafe");
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o600);
    expect(await startOnce(home)).toBe("code cache used");

    chmodSync(dir, 0o777);
    expect(await startOnce(home)).toBe("code cache unsafe");
    expect(await startOnce(home)).toBe("code cache unsafe");
    chmodSync(dir, 0o700);
  });

  test("another bundle's cache file is removed when this one writes its own", async () => {
    const home = cacheHome();
    const dir = join(home, "jobgate");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stale = `terraform-provider-jobgate-0000000000000000-node${process.versions.node}-${process.arch}.v8cache`;
    writeFileSync(join(dir, stale), "old", { mode: 0o600 });
    writeFileSync(join(dir, "unrelated.txt"), "kept", { mode: 0o600 });
    await startOnce(home);
    const files = cacheFiles(home);
    expect(files).toContain("unrelated.txt");
    expect(files).not.toContain(stale);
    expect(files.filter((f) => f.endsWith(".v8cache"))).toHaveLength(1);
  });

  test("where the cache lives: XDG_CACHE_HOME, else the platform's user cache directory", () => {
    expect(cacheDirectory({ XDG_CACHE_HOME: "/x/cache" }, "linux")).toBe("/x/cache/jobgate");
    expect(cacheDirectory({ XDG_CACHE_HOME: "relative/cache" }, "linux")).toMatch(/\/\.cache\/jobgate$/);
    expect(cacheDirectory({}, "darwin")).toMatch(/\/Library\/Caches\/jobgate$/);
    expect(cacheDirectory({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32")).toMatch(/jobgate$/);
    expect(cacheDirectory({}, "win32")).toBeUndefined();
  });
});
