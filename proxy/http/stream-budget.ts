import type { ServerResponse } from "node:http";
import { sampledGauge, type ServerMetrics } from "../metrics.js";

/**
 * Unsent SSE bytes (spec §2 "Fair share"): each stream may fall `perStream` bytes behind
 * before its consumer counts as stalled and is dropped (`--stream-buffer`), and all
 * streams together `total` bytes (`--stream-buffer-total`): past it, the streams furthest
 * behind are ended first (their clients reconnect and resume) until the rest fit in
 * nine tenths of it, so stalled readers cannot exhaust the process's memory.
 */
export class StreamBudget {
  /** Each stream's unsent bytes as last seen, and how to end it. */
  private readonly streams = new Map<ServerResponse, { unsent: number; end: () => void }>();
  private total = 0;

  constructor(
    private readonly perStream: number,
    private readonly totalLimit: number,
    private readonly metrics: ServerMetrics,
  ) {
    sampledGauge(metrics.registry, "jobgate_stream_unsent_bytes", "SSE bytes written but not yet sent, over all streams.", () => this.total);
  }

  /** Tracks a stream until the returned release is called; `end` ends it (the caller's cleanup). */
  open(res: ServerResponse, end: () => void): () => void {
    const entry = { unsent: 0, end };
    this.streams.set(res, entry);
    const onDrain = (): void => this.note(res);
    res.on("drain", onDrain);
    return () => {
      res.off("drain", onDrain);
      if (this.streams.get(res) === entry) {
        this.total -= entry.unsent;
        this.streams.delete(res);
      }
    };
  }

  /** Writes a chunk unless the stream is over its own bound (then it is dropped); then keeps the total in bounds. */
  write(res: ServerResponse, chunk: string | Buffer): void {
    const entry = this.streams.get(res);
    if (entry === undefined || res.destroyed) return entry?.end();
    if (res.writableLength > this.perStream) {
      this.metrics.countLimit("stream_buffer");
      this.drop(res, entry);
      return;
    }
    res.write(chunk);
    this.note(res);
    if (this.total > this.totalLimit) this.shed();
  }

  private note(res: ServerResponse): void {
    const entry = this.streams.get(res);
    if (entry === undefined) return;
    const unsent = res.writableLength;
    this.total += unsent - entry.unsent;
    entry.unsent = unsent;
  }

  /** Ends the streams furthest behind until the rest fit in nine tenths of the total. */
  private shed(): void {
    const behind = [...this.streams].sort(([, a], [, b]) => b.unsent - a.unsent);
    for (const [res, entry] of behind) {
      if (this.total <= this.totalLimit * 0.9) break;
      this.metrics.countLimit("stream_buffer_total");
      this.drop(res, entry);
    }
  }

  private drop(res: ServerResponse, entry: { unsent: number; end: () => void }): void {
    this.total -= entry.unsent;
    this.streams.delete(res);
    res.destroy();
    entry.end();
  }
}
