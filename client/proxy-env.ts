/**
 * Which proxy a request goes through (spec §9 "Networks"), as pure functions of the
 * environment so that they can be tested exactly and so that messages name the proxy the
 * dispatcher really uses:
 *
 * - `http_proxy` / `HTTP_PROXY`, `https_proxy` / `HTTPS_PROXY`, `no_proxy` / `NO_PROXY`:
 *   the lowercase form wins when it is set at all (an empty `https_proxy=` turns the
 *   proxy off even when `HTTPS_PROXY` is set), as undici, curl and Go read them; a proxy
 *   written without a scheme (`proxy.corp:3128`) is `http://`, as curl and Go take it;
 * - an https URL goes through the HTTPS proxy, else through the HTTP proxy (undici's
 *   fallback); an http URL through the HTTP proxy;
 * - `NO_PROXY`: entries separated by commas or spaces; `host` matches that host and its
 *   subdomains, `.suffix` and `*.suffix` the same; `host:port` only on that port; `*` alone
 *   sends everything direct — exactly undici's `EnvHttpProxyAgent` rules, which route the
 *   requests (network.ts);
 * - `localhost`, `*.localhost`, `127.0.0.0/8` and `::1` always go direct, whatever the
 *   variables say, as Go tools such as Terraform do.
 */
export interface ProxySettings {
  /** The HTTP proxy's URL, when one is set. */
  readonly httpProxy: string | undefined;
  /** The HTTPS proxy's URL, when one is set. */
  readonly httpsProxy: string | undefined;
  /** `NO_PROXY` as written (empty when unset). */
  readonly noProxy: string;
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

/** The proxy variables of `env`, the lowercase form winning. */
export function proxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const pick = (lower: string, upper: string): string | undefined => {
    const value = env[lower] ?? env[upper];
    if (value === undefined || value.trim() === "") return undefined;
    // `proxy.corp:3128` (no scheme) is an http:// proxy, as Go (Terraform) and curl read it;
    // undici would refuse it, and its credentials would go unrecognised.
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? value.trim() : `http://${value.trim()}`;
  };
  return {
    httpProxy: pick("http_proxy", "HTTP_PROXY"),
    httpsProxy: pick("https_proxy", "HTTPS_PROXY"),
    noProxy: env.no_proxy ?? env.NO_PROXY ?? "",
  };
}

/** True for `localhost` (and its subdomains), `127.0.0.0/8` and `::1`: never proxied. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  // Literals only (no node:net at start-up): 127.x.x.x, ::1 and its long and IPv4-mapped forms.
  if (IPV4.test(host)) return host.startsWith("127.") && host.split(".").every((part) => Number(part) <= 255);
  return host === "::1" || /^(0{1,4}:){7}0{0,3}1$/.test(host) || /^::ffff:127(\.\d{1,3}){3}$/.test(host);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The proxy `url` goes through under `settings`, or undefined when it goes direct. */
export function proxyFor(url: string | URL, settings: ProxySettings): string | undefined {
  const target = typeof url === "string" ? new URL(url) : url;
  if (isLoopbackHost(target.hostname)) return undefined;
  const proxy = target.protocol === "https:" ? (settings.httpsProxy ?? settings.httpProxy) : target.protocol === "http:" ? settings.httpProxy : undefined;
  if (proxy === undefined) return undefined;
  // `host`, not `hostname`, then the port stripped: IPv6 literals keep their brackets (as undici does).
  const hostname = target.host.replace(/:\d*$/, "").toLowerCase();
  const port = Number.parseInt(target.port, 10) || DEFAULT_PORTS[target.protocol] || 0;
  return bypasses(hostname, port, settings.noProxy) ? undefined : proxy;
}

function bypasses(hostname: string, port: number, noProxy: string): boolean {
  if (noProxy === "*") return true;
  for (const entry of noProxy.split(/[,\s]/)) {
    if (entry === "") continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed?.[1] ?? entry).replace(/^\*?\./, "").toLowerCase();
    const entryPort = parsed === null ? 0 : Number.parseInt(parsed[2]!, 10);
    if (entryPort !== 0 && entryPort !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return true;
  }
  return false;
}

/** A proxy URL fit to print: its credentials, if any, replaced by `***`. */
export function printableProxy(proxy: string): string {
  try {
    const url = new URL(proxy);
    if (url.username === "" && url.password === "") return url.origin;
    return `${url.protocol}//***@${url.host}`;
  } catch {
    // Not a URL we can parse: print nothing of it that could be a secret.
    return "(the proxy set in the environment)";
  }
}

/** The credentials in the proxy URLs (as written and decoded), for scrubbing from any text we print. */
export function proxySecrets(settings: ProxySettings): string[] {
  const secrets: string[] = [];
  for (const proxy of [settings.httpProxy, settings.httpsProxy]) {
    if (proxy === undefined) continue;
    let url: URL;
    try {
      url = new URL(proxy);
    } catch {
      secrets.push(proxy);
      continue;
    }
    for (const part of [url.username, url.password]) {
      if (part === "") continue;
      secrets.push(part);
      try {
        secrets.push(decodeURIComponent(part));
      } catch {
        // not percent-encoded
      }
    }
    if (url.username !== "" || url.password !== "") {
      const basic = `${decodeSafe(url.username)}:${decodeSafe(url.password)}`;
      secrets.push(basic, Buffer.from(basic).toString("base64"));
    }
  }
  // Longest first, so that a secret containing another is scrubbed whole; short ones would scrub ordinary words.
  return [...new Set(secrets)].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
