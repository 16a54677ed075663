import { MemoryJobStore } from "../../proxy/store/memory.js";
import { StoreUnavailableError, type ChangeListener, type JobStore } from "../../proxy/store/types.js";

/**
 * A memory store that can be switched off, as a networked store loses its database:
 * while `down`, every call rejects with `StoreUnavailableError` and open waits and
 * subscriptions fail with it.
 */
export class FlakyStore implements JobStore {
  readonly inner = new MemoryJobStore();
  private downNow = false;
  private readonly failWaiters = new Set<(error: Error) => void>();

  set down(value: boolean) {
    this.downNow = value;
    if (value) for (const fail of this.failWaiters) fail(new StoreUnavailableError("the database went away"));
  }

  private check(): void {
    if (this.downNow) throw new StoreUnavailableError("the database is unreachable");
  }

  insert: JobStore["insert"] = async (...args) => (this.check(), this.inner.insert(...args));
  get: JobStore["get"] = async (id) => (this.check(), this.inner.get(id));
  update: JobStore["update"] = async (...args) => (this.check(), this.inner.update(...args));
  list: JobStore["list"] = async (query) => (this.check(), this.inner.list(query));
  cursorSecret: JobStore["cursorSecret"] = async () => (this.check(), this.inner.cursorSecret());
  stats: JobStore["stats"] = () => this.inner.stats();
  checkHealth: JobStore["checkHealth"] = async () => this.check();
  close: JobStore["close"] = () => this.inner.close();

  waitForChange: JobStore["waitForChange"] = async (id, afterVersion, signal) => {
    this.check();
    return new Promise((resolve, reject) => {
      const fail = (error: Error): void => {
        this.failWaiters.delete(fail);
        reject(error);
      };
      this.failWaiters.add(fail);
      this.inner.waitForChange(id, afterVersion, signal).then((job) => {
        this.failWaiters.delete(fail);
        resolve(job);
      }, fail);
    });
  };

  subscribe = (id: string, afterVersion: number, listener: ChangeListener): (() => void) => {
    const fail = (error: Error): void => {
      this.failWaiters.delete(fail);
      unsubscribe();
      listener.onEnd(error);
    };
    this.failWaiters.add(fail);
    const unsubscribe = this.inner.subscribe(id, afterVersion, listener);
    return () => {
      this.failWaiters.delete(fail);
      unsubscribe();
    };
  };
}
