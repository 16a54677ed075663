import { randomFillSync } from "node:crypto";

/**
 * ULIDs (Crockford base32, 48-bit ms time + 80 random bits), monotonic within a
 * millisecond so ids minted in the same ms still sort in creation order. Each kind of id
 * has its own generator: sharing one sequence would make a job id its request id + 1.
 * Within a millisecond the random part grows by a random step, not by one: an id that is
 * the last one + 1 could be guessed, and published first by another tenant.
 * Random bytes come from a pooled buffer: a request id must not cost a syscall.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POOL_SIZE = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

function fillRandom(target: Uint8Array): void {
  if (poolOffset + target.length > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  for (let i = 0; i < target.length; i++) target[i] = pool[poolOffset++]!;
}

function encodeTime(time: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 characters, 5 bits at a time.
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** A monotonic ULID generator with its own sequence. */
export function ulidGenerator(): (now?: number) => string {
  let lastTime = -1;
  /** The encoded `lastTime`: ids minted in the same millisecond share it. */
  let lastTimePart = "";
  const lastRandom = new Uint8Array(10);
  const step = new Uint8Array(4);
  /** Adds a random 1 to 2^32 to the 80-bit random part; on the (astronomically rare) overflow, re-randomizes. */
  const increment = (): void => {
    fillRandom(step);
    let carry = step[0]! * 0x1000000 + step[1]! * 0x10000 + step[2]! * 0x100 + step[3]! + 1;
    for (let i = lastRandom.length - 1; i >= 0 && carry > 0; i--) {
      const sum = lastRandom[i]! + (carry % 256);
      lastRandom[i] = sum % 256;
      carry = Math.floor(carry / 256) + (sum >= 256 ? 1 : 0);
    }
    if (carry > 0) fillRandom(lastRandom);
  };
  return (now = Date.now()) => {
    if (now <= lastTime) {
      increment();
    } else {
      lastTime = now;
      lastTimePart = encodeTime(now);
      fillRandom(lastRandom);
    }
    return lastTimePart + encodeRandom(lastRandom);
  };
}

const nextJobUlid = ulidGenerator();
const nextRequestUlid = ulidGenerator();
const nextResultUlid = ulidGenerator();

/** A fresh `job_<ULID>`, in creation order. */
export function newJobId(): string {
  return `job_${nextJobUlid()}`;
}

/** A fresh `req_<ULID>` for `X-Request-Id`. */
export function newRequestId(): string {
  return `req_${nextRequestUlid()}`;
}

/** A ULID for what a demo operation produces (`rel_…`, `bld_…`). */
export function newResultUlid(): string {
  return nextResultUlid();
}
