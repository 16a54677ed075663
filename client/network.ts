/**
 * The fetch every client uses unless given one (spec §9 "Networks"): undici's own
 * `fetch` over an `EnvHttpProxyAgent`, so `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` are
 * honoured by the CLI, the library, the constructs' runtime and proxy mode's upstream
 * calls alike (Node 20's global fetch ignores them). Loopback always goes direct
 * (proxy-env.ts). `caFile` adds a PEM bundle to the trusted roots, for TLS-inspecting
 * proxies; `NODE_EXTRA_CA_CERTS` is honoured with or without it.
 *
 * A request that goes direct without a CA bundle of ours (no proxy set, NO_PROXY, or
 * loopback) takes the runtime's fetch — the same undici, already built in — so the common
 * case loads nothing more; undici's package is loaded on the first request that needs
 * its dispatcher, never at import: `--help`, a usage error and the standalone server
 * never pay for it. One
 * network per CA bundle (and proxy settings) is kept for the process, so every client
 * shares its connections.
 *
 * On Node ≥ 22.21 with `NODE_USE_ENV_PROXY` set, the runtime's own fetch already goes
 * through the proxy: it is used as it is (a second proxy layer would tunnel twice),
 * unless a CA bundle asks for our dispatcher, which then replaces the runtime's.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "./errors.js";
import type { FetchLike } from "./options.js";
import { isLoopbackHost, printableProxy, proxyFor, proxySecrets, proxySettings, type ProxySettings } from "./proxy-env.js";

export interface Network {
  readonly fetch: FetchLike;
  /** The proxy `url` goes through, printable (no credentials), or undefined when direct. */
  proxyFor(url: string): string | undefined;
  /** Proxy credentials, to scrub from any text that may quote them. */
  readonly secrets: readonly string[];
}

export interface NetworkOptions {
  /** A PEM bundle added to the trusted roots. */
  readonly caFile?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** For tests: the Node version deciding whether the runtime proxies by itself. @default process.versions.node */
  readonly nodeVersion?: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** True when the runtime's own fetch honours the proxy variables (Node ≥ 22.21 or ≥ 24.5 with NODE_USE_ENV_PROXY). */
export function runtimeProxies(env: NodeJS.ProcessEnv, nodeVersion: string = process.versions.node): boolean {
  const flag = env.NODE_USE_ENV_PROXY;
  if (flag === undefined || flag === "" || flag === "0") return false;
  const [major = 0, minor = 0] = nodeVersion.split(".").map(Number);
  return (major === 22 && minor >= 21) || (major === 24 && minor >= 5) || major >= 25;
}

/** The certificates of a PEM bundle; a ConfigError naming `source` when it holds none. */
export function readPemBundle(path: string, source: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`${source} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? "error"})`, { cause: error });
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  if (certificates.length === 0) {
    throw new ConfigError(
      `${source} ${path}: no PEM certificate in it; expected a bundle of "-----BEGIN CERTIFICATE-----" blocks (the proxy's or your organisation's CA)`,
    );
  }
  return certificates;
}

const networks = new Map<string, Network>();

/** The process's network for this CA bundle (created on first use, then shared). */
export function defaultNetwork(options: NetworkOptions = {}): Network {
  const key = JSON.stringify([options.caFile ?? "", proxySettings(options.env ?? process.env)]);
  let network = networks.get(key);
  if (network === undefined) {
    network = createNetwork(options);
    networks.set(key, network);
  }
  return network;
}

export function createNetwork(options: NetworkOptions = {}): Network {
  const env = options.env ?? process.env;
  const settings = proxySettings(env);
  const extra = options.caFile === undefined ? undefined : readPemBundle(options.caFile, "--ca-file");
  const printable = (url: string): string | undefined => {
    const proxy = proxyFor(url, settings);
    return proxy === undefined ? undefined : printableProxy(proxy);
  };
  const secrets = proxySecrets(settings);
  if (extra === undefined && runtimeProxies(env, options.nodeVersion)) {
    return { fetch: (input, init) => globalThis.fetch(input, init), proxyFor: printable, secrets };
  }
  let loading: Promise<Dispatch> | undefined;
  const fetch: FetchLike = async (input, init) => {
    // Read at call time: instrumentation (and nock, in tests) may replace it after import.
    if (extra === undefined && proxyFor(input, settings) === undefined) return globalThis.fetch(input, init);
    const dispatch = await (loading ??= loadDispatch(settings, extra, env));
    return dispatch(input, init);
  };
  return { fetch, proxyFor: printable, secrets };
}

type Dispatch = (input: string, init: RequestInit) => Promise<Response>;

async function loadDispatch(settings: ProxySettings, extra: string[] | undefined, env: NodeJS.ProcessEnv): Promise<Dispatch> {
  const [undici, { rootCertificates }] = await Promise.all([import("undici"), import("node:tls")]);
  // An explicit `ca` replaces Node's roots and NODE_EXTRA_CA_CERTS: both are added back.
  const ca = extra === undefined ? undefined : [...rootCertificates, ...extraCaCerts(env), ...extra];
  const tls = ca === undefined ? {} : { ca };
  const direct = new undici.Agent({ connect: tls });
  const proxied = new undici.EnvHttpProxyAgent({
    ...(settings.httpProxy !== undefined ? { httpProxy: settings.httpProxy } : {}),
    ...(settings.httpsProxy !== undefined ? { httpsProxy: settings.httpsProxy } : {}),
    noProxy: settings.noProxy,
    connect: tls,
    requestTls: tls,
    proxyTls: tls,
  });
  return (input, init) => {
    const dispatcher = isLoopbackHost(new URL(input).hostname) ? direct : proxied;
    // undici's Request/Response are the WHATWG ones the rest of the client reads.
    return undici.fetch(input, { ...(init as Parameters<typeof undici.fetch>[1]), dispatcher });
  };
}

function extraCaCerts(env: NodeJS.ProcessEnv): string[] {
  const path = env.NODE_EXTRA_CA_CERTS;
  if (path === undefined || path === "") return [];
  try {
    return readFileSync(path, "utf8").match(PEM_CERTIFICATE) ?? [];
  } catch {
    return []; // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start
  }
}
