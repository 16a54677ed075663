/**
 * A replica's one dedicated LISTEN connection (spec §8), fanned out in process by the store.
 *
 * - `up` fires once LISTEN is confirmed by the server — only then can a notice be trusted
 *   to arrive for every change committed after it; `down` fires when the connection is
 *   lost (an error, the server ending it, or a ping that goes unanswered: a connection
 *   that went silent without a reset must not pass for a live feed).
 * - It reconnects by itself, backing off from 50 ms to 2 s with jitter; each new `up`
 *   tells the store that notices may have been missed while down (it re-reads).
 */
import type { Logger } from "pino";
import pg from "pg";
import { reason } from "./errors.js";

const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2_000;
/** A live connection answers this often; one that does not within the timeout is dropped. */
const PING_INTERVAL_MS = 2_000;
const PING_TIMEOUT_MS = 3_000;

export interface FeedEvents {
  onNotice(payload: string): void;
  onUp(): void;
  onDown(error: unknown): void;
}

export class ChangeFeed {
  private client: pg.Client | undefined;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** Times the feed came up (for tests, and to tell a reconnect from the first connect). */
  ups = 0;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly events: FeedEvents,
    private readonly logger: Logger | undefined,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** Connects; resolves once LISTEN is confirmed, rejects with the first failure (then keeps trying in the background). */
  start(): Promise<void> {
    return this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  /** Drops the connection as if the network had (for tests). */
  interrupt(): void {
    this.client?.connection.stream.destroy();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    this.client = client;
    let lost = false;
    const lose = (error: unknown): void => {
      if (lost) return;
      lost = true;
      void client.end().catch(() => undefined);
      if (this.client === client) this.lost(error);
    };
    client.on("error", lose);
    client.on("end", () => lose(new Error("the LISTEN connection ended")));
    client.on("notification", (message) => {
      if (message.channel === this.channel && message.payload !== undefined && this.client === client) this.events.onNotice(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (error) {
      lose(error);
      throw error;
    }
    if (this.client !== client || lost) throw new Error("the LISTEN connection was closed while it started");
    this.connected = true;
    this.attempt = 0;
    this.ups++;
    if (this.ups > 1) this.logger?.info("store change feed: reconnected; re-reading every held request's job");
    this.pingTimer = setInterval(() => this.ping(client, lose), PING_INTERVAL_MS);
    this.pingTimer.unref();
    this.events.onUp();
  }

  private ping(client: pg.Client, lose: (error: unknown) => void): void {
    const timer = setTimeout(() => lose(new Error(`the LISTEN connection did not answer a ping within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    client.query("SELECT 1").then(
      () => clearTimeout(timer),
      (error: unknown) => {
        clearTimeout(timer);
        lose(error);
      },
    );
  }

  private lost(error: unknown): void {
    clearInterval(this.pingTimer);
    this.client = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected) {
      this.logger?.warn({ reason: reason(error) }, "store change feed: lost the LISTEN connection; serving from the database until it is back");
      this.events.onDown(error);
    }
    if (this.closed) return;
    const backoff = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** this.attempt++);
    this.retryTimer = setTimeout(
      () => {
        if (!this.closed) this.connect().catch(() => undefined);
      },
      backoff / 2 + Math.random() * (backoff / 2),
    );
    this.retryTimer.unref();
  }
}
