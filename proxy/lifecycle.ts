/**
 * What graceful shutdown must reach: every held long-poll (answered at once with the
 * current state) and every open stream (ended so the client reconnects elsewhere).
 * Plain sets, not one shared AbortSignal: thousands of listeners on one EventTarget
 * make each removal linear.
 */
export const SHUTDOWN_REASON = "shutdown";
/**
 * Reasons for ending a hold. A plain value, not `abort()`'s default
 * DOMException: that captures a stack trace, which 10 000 holds ending at once pay for.
 */
export const WAIT_ELAPSED = "wait elapsed";
export const CLIENT_GONE = "client gone";

export class Lifecycle {
  private draining = false;
  private readonly holds = new Set<AbortController>();
  private readonly streams = new Set<() => void>();

  get isDraining(): boolean {
    return this.draining;
  }

  /** Registers a held request; returns its release function. */
  hold(controller: AbortController): () => void {
    this.holds.add(controller);
    return () => this.holds.delete(controller);
  }

  /** Registers a stream's end function; returns its release function. */
  stream(end: () => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  drain(): void {
    this.draining = true;
    for (const controller of this.holds) controller.abort(SHUTDOWN_REASON);
    for (const end of this.streams) end();
  }
}
