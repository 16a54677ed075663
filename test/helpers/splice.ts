import type { Socket } from "node:net";

/**
 * Joins two TCP connections both ways, as a relay or a load balancer does; both are kept in
 * `open` (for a close that drops everything) until either side goes, which ends the other.
 */
export function splice(client: Socket, upstream: Socket, open: Set<Socket>): void {
  open.add(client).add(upstream);
  const drop = (): void => {
    client.destroy();
    upstream.destroy();
    open.delete(client);
    open.delete(upstream);
  };
  client.on("error", drop).on("close", drop);
  upstream.on("error", drop).on("close", drop);
  client.pipe(upstream);
  upstream.pipe(client);
}
