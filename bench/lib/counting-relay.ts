import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/** One answer that passed through a relay. */
export interface RelayedAnswer {
  /** `performance.now()` when its head came back. */
  readonly at: number;
  readonly method: string;
  readonly status: number;
  /** The version its `ETag` carried (`"w/job-<version>"`), 0 when none. */
  readonly version: number;
}

export interface CountingRelay {
  readonly url: string;
  readonly port: number;
  /** Every answer relayed so far (streams included), in order. */
  readonly seen: RelayedAnswer[];
  /** Requests that arrived so far, answered or still held. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A pass-through HTTP relay in front of a server on 127.0.0.1:`targetPort` that records every
 * answer: how benchmarks count the requests a waiter makes and when it saw each version.
 */
export async function startCountingRelay(targetPort: number): Promise<CountingRelay> {
  const seen: RelayedAnswer[] = [];
  let requests = 0;
  const agent = new Agent({ keepAlive: true });
  const server = createServer((req, res) => {
    requests++;
    const out = request({ host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      const version = Number(/(\d+)"$/.exec(String(up.headers.etag ?? ""))?.[1] ?? 0);
      seen.push({ at: performance.now(), method: req.method!, status: up.statusCode!, version });
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    out.on("error", () => res.destroy());
    res.on("close", () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
