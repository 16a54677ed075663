/**
 * A throwaway PostgreSQL cluster, for the test suites (test/helpers/postgres.ts) and the
 * benchmarks: `initdb` into a temp dir, `pg_ctl start` on a free loopback port with the
 * unix socket in that dir; `destroy()` stops it and removes its files.
 *
 * PostgreSQL refuses to run as root, so as root the cluster runs as `nobody` (every
 * Debian and Ubuntu has it) in a temp dir handed to it; as anyone else, as that user.
 * The binaries come from the PATH, else from Debian's /usr/lib/postgresql/<version>/bin
 * (where `apt-get install postgresql` puts them; .ci/run does that when they are missing).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";

/** PostgreSQL ≥ 15, as spec §8 asks. */
export const MIN_POSTGRES_MAJOR = 15;
/** The cluster's superuser; tests connect as it, with trust auth on loopback and the socket. */
export const TEST_DB_USER = "jobgate";

export interface Binaries {
  readonly dir: string;
  readonly major: number;
}

function majorOf(initdb: string): number | undefined {
  const out = spawnSync(initdb, ["--version"], { encoding: "utf8" });
  if (out.status !== 0) return undefined;
  const match = /(\d+)(?:\.\d+)?/.exec(out.stdout);
  return match ? Number(match[1]) : undefined;
}

let found: { binaries: Binaries | undefined } | undefined;

/** PostgreSQL >= 15 binaries, or undefined when none are installed (looked for once). */
export function findPostgresBinaries(): Binaries | undefined {
  found ??= { binaries: lookForBinaries() };
  return found.binaries;
}

function lookForBinaries(): Binaries | undefined {
  const candidates: string[] = [];
  const onPath = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  if (onPath.status === 0 && onPath.stdout.trim() !== "") {
    const real = spawnSync("readlink", ["-f", onPath.stdout.trim()], { encoding: "utf8" });
    candidates.push(dirname(real.status === 0 ? real.stdout.trim() : onPath.stdout.trim()));
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    for (const version of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(join(debian, version, "bin"));
  }
  for (const dir of candidates) {
    const initdb = join(dir, "initdb");
    if (!existsSync(initdb) || !existsSync(join(dir, "pg_ctl")) || !existsSync(join(dir, "postgres"))) continue;
    const major = majorOf(initdb);
    if (major !== undefined && major >= MIN_POSTGRES_MAJOR) return { dir, major };
  }
  return undefined;
}

/** The unprivileged user the cluster runs as: `nobody` when we are root, else ourselves. */
function clusterUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync("id", [flag, "nobody"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  const gid = id("-g");
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid === 0) {
    throw new Error("running as root, PostgreSQL needs an unprivileged user to run as, and there is no `nobody`; create one (useradd nobody)");
  }
  return { uid, gid };
}

export interface PostgresCluster {
  /** The server's version, e.g. "15.18". */
  readonly version: string;
  readonly port: number;
  /** Where the unix socket is. */
  readonly socketDir: string;
  /** A URL for `database` (default "postgres") over TCP on 127.0.0.1. */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /**
   * The URL of a database with no jobs, keys, runs or secret: created on the first call,
   * emptied (TRUNCATE, a few ms instead of a CREATE DATABASE's hundreds) on each later one.
   * For suites that close every store over it before asking again.
   */
  emptyDatabase(): Promise<string>;
  /** Runs SQL as the superuser in `database`. */
  sql(query: string, database?: string): Promise<pg.QueryResult>;
  /** Stops the server (`fast`: clients are disconnected; `immediate`: as a crash would). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function run(command: string, args: string[], user: { uid: number; gid: number } | undefined, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(command, args, {
      ...(user ?? {}),
      // No locale from the caller's environment: initdb picks C, and no HOME that is root's.
      env: { PATH: process.env.PATH, LANG: "C", LC_ALL: "C", ...(user ? { HOME: "/tmp" } : { HOME: process.env.HOME }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${output}`));
    });
  });
}

const live = new Set<string>();
// A test file that dies without its afterAll must not leave a postmaster behind.
process.once("exit", () => {
  const binaries = findPostgresBinaries();
  if (binaries === undefined) return;
  for (const dataDir of live)
    spawnSync(join(binaries.dir, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "stop"], { stdio: "ignore", ...(clusterUser() ?? {}) });
});

let databases = 0;

export interface ClusterOptions {
  /**
   * Keep PostgreSQL's durability (fsync, synchronous commit): for figures that should
   * resemble production. @default false — throwaway data, and durability costs time.
   */
  readonly durable?: boolean;
}

export async function startPostgresCluster(options: ClusterOptions = {}): Promise<PostgresCluster> {
  const binaries = findPostgresBinaries();
  if (binaries === undefined)
    throw new Error(`PostgreSQL >= ${MIN_POSTGRES_MAJOR} is not installed (initdb, pg_ctl, postgres on PATH or in /usr/lib/postgresql/*/bin)`);
  const bin = (name: string) => join(binaries.dir, name);
  const user = clusterUser();
  const root = mkdtempSync(join(tmpdir(), "jobgate-pg-"));
  if (user !== undefined) chownSync(root, user.uid, user.gid);
  const dataDir = join(root, "data");
  await run(bin("initdb"), ["-D", dataDir, "-U", TEST_DB_USER, "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], user);
  let port = 0;
  const logFile = join(root, "postgres.log");
  const start = async (): Promise<void> => {
    await run(bin("pg_ctl"), ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "start"], user);
    live.add(dataDir);
  };
  // A port taken between freePort() and the server's bind: try another.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    appendFileSync(
      join(dataDir, "postgresql.conf"),
      [
        "",
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${root}'`,
        // Throwaway data: durability costs time and buys nothing here (unless asked for).
        ...(options.durable === true ? [] : ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]),
        "max_connections = 300",
        "shared_buffers = 64MB",
        "log_min_messages = warning",
        "",
      ].join("\n"),
    );
    try {
      await start();
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }

  const sql = async (query: string, database = "postgres"): Promise<pg.QueryResult> => {
    const client = new pg.Client({ host: root, port, user: TEST_DB_USER, database });
    await client.connect();
    try {
      return await client.query(query);
    } finally {
      await client.end();
    }
  };
  const url = (database = "postgres") => `postgres://${TEST_DB_USER}@127.0.0.1:${port}/${database}`;
  let reusable: string | undefined;
  const version = /(\d+(?:\.\d+)?)/.exec(spawnSync(bin("postgres"), ["--version"], { encoding: "utf8" }).stdout)?.[1] ?? `${binaries.major}`;
  return {
    version,
    port,
    socketDir: root,
    url,
    sql,
    async createDatabase(name = `test_${process.pid}_${++databases}`) {
      await sql(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    async emptyDatabase() {
      if (reusable === undefined) {
        reusable = `reused_${process.pid}`;
        await sql(`CREATE DATABASE "${reusable}"`);
      } else {
        const { rows } = await sql("SELECT to_regclass('jobgate.jobs') AS jobs", reusable);
        if (rows[0].jobs !== null) await sql("TRUNCATE jobgate.jobs, jobgate.idempotency_keys, jobgate.demo_runs, jobgate.settings", reusable);
      }
      return url(reusable);
    },
    async stop(mode = "fast") {
      await run(bin("pg_ctl"), ["-D", dataDir, "-m", mode, "-w", "-t", "60", "stop"], user);
      live.delete(dataDir);
    },
    start,
    async destroy() {
      if (live.has(dataDir)) await run(bin("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"], user).catch(() => undefined);
      live.delete(dataDir);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
