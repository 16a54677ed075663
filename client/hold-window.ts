/**
 * How long a long-poll asks the server to hold (spec §9 "Networks"): `--poll-wait` at
 * first; shorter once an intermediary has cut a hold. A hold that ended after at least
 * MIN_HOLD_CUT_MS with a 502/503/504 that is not this API's, or with a reset, was cut by a
 * proxy's or load balancer's timeout: the next poll asks for a wait shorter than the cut
 * one lasted (never below MIN_POLL_WAIT_AFTER_CUT_S) and goes out at once — it is not a
 * failure. One window is shared by every poll of a client (and, in proxy mode, of an
 * upstream), so what one poll learnt the others use.
 */
import { MIN_HOLD_CUT_MS, MIN_POLL_WAIT_AFTER_CUT_S } from "../api/defaults.js";

export interface HoldCut {
  /** How long the cut hold lasted. */
  readonly lastedMs: number;
  /** The wait asked for from now on, in seconds. */
  readonly waitS: number;
  /** What ended it (`504 http_504`, `ECONNRESET …`). */
  readonly how: string;
  /** True the first time this window shortened (log it then, once). */
  readonly first: boolean;
}

export class HoldWindow {
  #waitS: number;
  #cuts = 0;

  /** @param maxS the wait asked for until a cut: `--poll-wait` */
  constructor(readonly maxS: number) {
    this.#waitS = maxS;
  }

  /** The wait to ask for now, in seconds. */
  get waitS(): number {
    return this.#waitS;
  }

  /** Holds cut so far. */
  get cuts(): number {
    return this.#cuts;
  }

  /** True when a hold that failed after `lastedMs` counts as cut (else it is a failure). */
  static isCutAfter(lastedMs: number): boolean {
    return lastedMs >= MIN_HOLD_CUT_MS;
  }

  /** A hold was cut after `lastedMs`: shortens the window to between 0.5 s and 1.5 s under it. */
  cut(lastedMs: number, how: string): HoldCut {
    const next = Math.max(MIN_POLL_WAIT_AFTER_CUT_S, Math.floor(lastedMs / 1000 - 0.5));
    this.#cuts++;
    if (next < this.#waitS) this.#waitS = next;
    return { lastedMs, waitS: this.#waitS, how, first: this.#cuts === 1 };
  }
}
