import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { JobStatus } from "../api/index.js";

/**
 * Prometheus metrics for `GET /metrics`. Request counts are kept in plain integers
 * and copied into the counter only when scraped, so counting costs the hot path
 * (the bare 304) one map lookup and an increment — no label hashing per request.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  /** Long-polls held right now. */
  heldLongPolls = 0;
  /** SSE streams open right now. */
  openStreams = 0;
  private readonly requestCounts = new Map<string, Map<number, number>>();
  private readonly limitHits: Counter<"limit">;

  /** Counts for the jobs gauge (the store's, or proxy mode's cache), set by the mode. */
  private jobsByStatus: () => Promise<Readonly<Record<JobStatus, number>>> = async () => ({ queued: 0, running: 0, succeeded: 0, failed: 0 });

  constructor() {
    const jobs = (): Promise<Readonly<Record<JobStatus, number>>> => this.jobsByStatus();
    collectDefaultMetrics({ register: this.registry, prefix: "jobgate_" });
    const counts = this.requestCounts;
    new Counter({
      name: "jobgate_http_requests_total",
      help: "HTTP requests answered, by route and status code.",
      labelNames: ["route", "status"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [route, byStatus] of counts) {
          for (const [status, count] of byStatus) this.inc({ route, status: String(status) }, count);
        }
      },
    });
    this.limitHits = new Counter({
      name: "jobgate_limit_hits_total",
      help: "Times a limit refused or ended something, by limit (named after its serve flag).",
      labelNames: ["limit"] as const,
      registers: [this.registry],
    });
    sampledGauge(this.registry, "jobgate_long_polls_held", "Long-poll requests currently held open.", () => this.heldLongPolls);
    sampledGauge(this.registry, "jobgate_streams_open", "SSE streams currently open.", () => this.openStreams);
    new Gauge({
      name: "jobgate_jobs",
      help: "Jobs held (in the store, or in proxy mode's cache), by status.",
      labelNames: ["status"] as const,
      registers: [this.registry],
      async collect() {
        let byStatus: Readonly<Record<JobStatus, number>>;
        try {
          byStatus = await jobs();
        } catch {
          // The store cannot count now (a database away): no sample rather than a stale one,
          // and the rest of /metrics still answers.
          this.reset();
          return;
        }
        for (const [status, count] of Object.entries(byStatus)) this.set({ status }, count);
      },
    });
  }

  countJobsWith(jobsByStatus: () => Promise<Readonly<Record<JobStatus, number>>>): void {
    this.jobsByStatus = jobsByStatus;
  }

  /** A limit bit (`limit` is its flag's name without dashes, e.g. `max_holds_per_key`). */
  countLimit(limit: string): void {
    this.limitHits.inc({ limit });
  }

  countRequest(route: string, status: number): void {
    let byStatus = this.requestCounts.get(route);
    if (byStatus === undefined) this.requestCounts.set(route, (byStatus = new Map<number, number>()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }
}

/** A gauge read at scrape time (nothing to update on the request path). */
export function sampledGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
