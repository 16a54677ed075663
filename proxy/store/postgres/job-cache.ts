import type { StoredJob } from "../types.js";

/**
 * A replica's view of the jobs it has seen, kept coherent by the change feed, for the hot
 * path (`getCached`: a 304 that does not wait on the database). Its rules:
 *
 * - it answers only while the feed is up (`live`); going down empties it, and a read or
 *   write that began before the feed last came up may not fill it (`epoch`);
 * - a notification always applies (newest version wins); "gone" and "read it" notices
 *   leave a tombstone, which answers "not known here";
 * - a state that did not come from the feed — a row read, this replica's own write — is
 *   a snapshot from some moment in the past: it fills the cache only when no notice for
 *   that job arrived since the read began (`seq`), so it can never overwrite newer news;
 * - bounded: past `max` entries the one whose news is oldest goes; a read that began
 *   before the newest eviction may not fill a missing entry (the evicted one might have
 *   been news about it).
 */
interface Entry {
  /** undefined: a tombstone ("not known here"). */
  readonly job: StoredJob | undefined;
  /** The notice count when this entry's news arrived. */
  readonly seq: number;
}

/** Where a read or write began, to be handed back to `remember`. */
export interface CacheMark {
  readonly seq: number;
  readonly epoch: number;
}

export class JobCache {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  private epoch = 0;
  private live = false;
  private evictedSeq = 0;

  constructor(private readonly max: number) {}

  /** The feed is up (LISTEN confirmed): a new epoch starts, empty. */
  up(): void {
    this.entries.clear();
    this.epoch++;
    this.live = true;
  }

  /** The feed is down: nothing here can be vouched for. */
  down(): void {
    this.entries.clear();
    this.epoch++;
    this.live = false;
  }

  /** The job as last heard, or undefined when not known here or the feed is down. */
  get(id: string): StoredJob | undefined {
    return this.live ? this.entries.get(id)?.job : undefined;
  }

  /** Take before a read or write whose result may be remembered. */
  mark(): CacheMark {
    return { seq: this.seq, epoch: this.epoch };
  }

  /** A notification's state (newest version wins). */
  heard(job: StoredJob): void {
    if (!this.live) return;
    const entry = this.entries.get(job.id);
    if (entry?.job !== undefined && entry.job.version >= job.version) return;
    this.set(job.id, { job, seq: ++this.seq });
  }

  /** A notice that the job is gone, or changed beyond what the notice could carry. */
  forget(id: string): void {
    if (!this.live) return;
    this.set(id, { job: undefined, seq: ++this.seq });
  }

  /**
   * A state read (or written) since `mark`: kept unless news about the job arrived since
   * (the read may predate it), the feed went down or came back, or a possibly relevant
   * entry was evicted. `undefined` (the row is missing) leaves things as they are.
   */
  remember(job: StoredJob | undefined, mark: CacheMark): void {
    if (job === undefined || !this.live || mark.epoch !== this.epoch) return;
    const entry = this.entries.get(job.id);
    if (entry === undefined ? this.evictedSeq > mark.seq : entry.seq > mark.seq) return;
    if (entry?.job !== undefined && entry.job.version > job.version) return;
    this.set(job.id, { job, seq: entry?.seq ?? mark.seq });
  }

  private set(id: string, entry: Entry): void {
    // Map order is the order news arrived: delete first, so the newest is last.
    this.entries.delete(id);
    this.entries.set(id, entry);
    if (this.entries.size > this.max) {
      const [oldestId, oldest] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(oldestId);
      this.evictedSeq = Math.max(this.evictedSeq, oldest.seq);
    }
  }
}
