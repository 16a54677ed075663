/**
 * Real proxies for the network suites (spec §9 "Networks"): squid as a forward proxy and
 * nginx as a reverse proxy, the Debian binaries, each started by the test with its own
 * config and prefix in a temp dir — never as a system service — on 127.0.0.1, and
 * stopped by it. We run as root, so squid drops to the `proxy` user and nginx's worker to
 * `nobody`: their directories are made writable for them.
 *
 * squid resolves a made-up host (`API_HOST`, under the reserved `.test` TLD) from its
 * own `hosts_file` only, so a request that reaches the API by that name went through it.
 * And a test CA (openssl) signs certificates for TLS suites.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closedPort } from "./cli.js";

/** A name only squid can resolve (to 127.0.0.1). */
export const API_HOST = "api.jobgate.test";

export function hasBinary(name: string, versionFlag = "-v"): boolean {
  return spawnSync(name, [versionFlag], { stdio: "ignore" }).error === undefined;
}

/** `describe`, or `describe.skip` with a loud warning when a binary is missing (CI installs them: .ci/run). */
export function describeWith(binaries: readonly string[], file: string): jest.Describe {
  const missing = binaries.filter((name) => !hasBinary(name));
  if (missing.length === 0) return describe;
  const line = `#  SKIPPING ${file}: ${missing.join(", ")} not installed (apt-get install -y nginx squid).`;
  console.warn(
    `\n${"#".repeat(line.length + 2)}\n${line}  #\n#  The real-proxy suite did NOT run.${" ".repeat(Math.max(0, line.length - 34))}#\n${"#".repeat(line.length + 2)}\n`,
  );
  return describe.skip;
}

function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777); // squid runs as `proxy`, nginx's worker as `nobody`
  return dir;
}

async function waitForPort(port: number, child: ChildProcess, what: () => string, timeoutMs = 15_000): Promise<void> {
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what()} exited (${child.exitCode}) before listening`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (performance.now() - started > timeoutMs) throw new Error(`${what()} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface Squid {
  readonly port: number;
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY / HTTP_PROXY. */
  readonly url: string;
  /** Requests squid has logged for `host` (CONNECT tunnels are logged when they close). */
  requestsFor(host: string): number;
  /** Resolves once squid has logged at least `count` requests for `host`. */
  untilLogged(host: string, count?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SquidOptions {
  /** Require proxy credentials (basic auth). */
  readonly auth?: { readonly user: string; readonly password: string };
}

export async function startSquid(options: SquidOptions = {}): Promise<Squid> {
  const dir = workDir("jobgate-squid-");
  const port = await closedPort();
  writeFileSync(join(dir, "hosts"), `127.0.0.1 ${API_HOST}\n`);
  const auth: string[] = [];
  if (options.auth !== undefined) {
    const hash = spawnSync("openssl", ["passwd", "-apr1", options.auth.password], { encoding: "utf8" }).stdout.trim();
    writeFileSync(join(dir, "passwd"), `${options.auth.user}:${hash}\n`);
    chmodSync(join(dir, "passwd"), 0o644);
    auth.push(
      `auth_param basic program /usr/lib/squid/basic_ncsa_auth ${join(dir, "passwd")}`,
      "auth_param basic children 1",
      "acl authenticated proxy_auth REQUIRED",
      "http_access deny !authenticated",
    );
  }
  const conf = [
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${join(dir, "squid.pid")}`,
    `cache_log ${join(dir, "cache.log")}`,
    `access_log stdio:${join(dir, "access.log")}`,
    "logfile_rotate 0",
    `coredump_dir ${dir}`,
    `hosts_file ${join(dir, "hosts")}`,
    "cache deny all",
    "cache_mem 8 MB",
    "cache_effective_user proxy",
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    ...auth,
    "http_access allow localhost",
    "http_access deny all",
    // Squid buffers nothing for long, but say so: a forward proxy should not hold SSE.
    "read_timeout 5 minutes",
  ].join("\n");
  writeFileSync(join(dir, "squid.conf"), `${conf}\n`);
  const child = spawn("squid", ["-N", "-f", join(dir, "squid.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const log = (): string => (existsSync(join(dir, "cache.log")) ? readFileSync(join(dir, "cache.log"), "utf8") : "");
  await waitForPort(port, child, () => `squid (${stderr.slice(-500)}${log().slice(-1500)})`);
  const requestsFor = (host: string): number => {
    const path = join(dir, "access.log");
    if (!existsSync(path)) return 0;
    return readFileSync(path, "utf8")
      .split("\n")
      .filter((line) => line.includes(` ${host}:`) || line.includes(`//${host}:`) || line.includes(`//${host}/`)).length;
  };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requestsFor,
    async untilLogged(host, count = 1, timeoutMs = 10_000) {
      const started = performance.now();
      while (requestsFor(host) < count) {
        if (performance.now() - started > timeoutMs) throw new Error(`squid logged ${requestsFor(host)} requests for ${host}, expected ≥ ${count}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface NginxSite {
  /** Where nginx passes requests: a port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** `proxy_read_timeout`. @default 60s (nginx's) */
  readonly readTimeout?: string;
  /**
   * Buffer the upstream's answers in 1 KiB buffers, ignore `X-Accel-Buffering: no`, and
   * gzip `text/event-stream` (a common misconfiguration; nginx's proxy buffering alone
   * passes bytes on as they come, compression is what holds them):
   * - "batches": a small deflate window and hash, so a stream comes through in batches —
   *   an early batch of events passes, later ones wait until enough follow them;
   * - "all": nginx's default deflate settings, which hold a job stream entirely.
   */
  readonly buffering?: "batches" | "all";
  /** Serve the API under this path (`/forge`): nginx strips it before passing on. */
  readonly basePath?: string;
  /** Serve TLS with this certificate and key (PEM files). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface Nginx {
  /** One port per site, in the order given. */
  readonly ports: number[];
  /** `http(s)://127.0.0.1:<port>` per site. */
  readonly urls: string[];
  /** Lines of nginx's access log (status is the 9th field). */
  accessLog(): string[];
  close(): Promise<void>;
}

export async function startNginx(sites: readonly NginxSite[]): Promise<Nginx> {
  const dir = workDir("jobgate-nginx-");
  const ports: number[] = [];
  for (let i = 0; i < sites.length; i++) ports.push(await closedPort());
  const servers = sites.map((site, i) => {
    const lines = [
      `listen 127.0.0.1:${ports[i]}${site.tls !== undefined ? " ssl" : ""};`,
      ...(site.tls !== undefined ? [`ssl_certificate ${site.tls.cert};`, `ssl_certificate_key ${site.tls.key};`] : []),
      `location ${site.basePath === undefined ? "/" : `${site.basePath}/`} {`,
      `  proxy_pass http://127.0.0.1:${site.upstreamPort}${site.basePath === undefined ? "" : "/"};`,
      "  proxy_http_version 1.1;",
      '  proxy_set_header Connection "";',
      ...(site.readTimeout !== undefined ? [`  proxy_read_timeout ${site.readTimeout};`] : []),
      ...(site.buffering !== undefined
        ? [
            "  proxy_buffering on;",
            "  proxy_ignore_headers X-Accel-Buffering;",
            "  proxy_buffer_size 1k;",
            "  proxy_buffers 4 1k;",
            "  proxy_busy_buffers_size 1k;",
            "  gzip on;",
            "  gzip_types text/event-stream application/json;",
            "  gzip_min_length 0;",
            "  gzip_buffers 4 1k;",
            ...(site.buffering === "batches" ? ["  gzip_comp_level 1;", "  gzip_window 512;", "  gzip_hash 512;"] : []),
          ]
        : []),
      "}",
    ];
    return `  server {\n${lines.map((line) => `    ${line}`).join("\n")}\n  }`;
  });
  const conf = `worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} warn;
events { worker_connections 512; }
http {
  access_log ${join(dir, "access.log")};
  client_body_temp_path ${join(dir, "body")};
  proxy_temp_path ${join(dir, "proxy")};
  fastcgi_temp_path ${join(dir, "fastcgi")};
  uwsgi_temp_path ${join(dir, "uwsgi")};
  scgi_temp_path ${join(dir, "scgi")};
${servers.join("\n")}
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const child = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  for (const port of ports) await waitForPort(port, child, () => `nginx (${stderr.slice(-1000)})`);
  return {
    ports,
    urls: sites.map((site, i) => `${site.tls !== undefined ? "https" : "http"}://127.0.0.1:${ports[i]}`),
    accessLog: () =>
      existsSync(join(dir, "access.log"))
        ? readFileSync(join(dir, "access.log"), "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [],
    async close() {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestCa {
  /** The CA's certificate (PEM file): what --ca-file is given. */
  readonly caFile: string;
  /** A server certificate for `names` (and 127.0.0.1), signed by the CA, and its key. */
  readonly cert: string;
  readonly key: string;
  /** The same certificate self-signed: a server that no CA vouches for. */
  readonly selfSigned: { readonly cert: string; readonly key: string };
  remove(): void;
}

/** A throwaway CA and a server certificate for `names`, made with openssl. */
export function makeTestCa(names: readonly string[] = ["localhost", API_HOST]): TestCa {
  const dir = workDir("jobgate-ca-");
  const run = (args: string[]): void => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr}`);
  };
  const san = [...names.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",");
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=jobgate test CA"]);
  run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${names[0]}`]);
  writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\n`);
  run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "2",
    "-subj",
    `/CN=${names[0]}`,
    "-addext",
    `subjectAltName=${san}`,
  ]);
  for (const file of ["ca.pem", "server.pem", "server.key", "self.pem", "self.key"]) chmodSync(join(dir, file), 0o644);
  return {
    caFile: join(dir, "ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    selfSigned: { cert: join(dir, "self.pem"), key: join(dir, "self.key") },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
