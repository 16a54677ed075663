import { randomFillSync } from "node:crypto";

/**
 * ULIDs (Crockford base32, 48-bit ms time + 80 random bits), monotonic within a
 * millisecond so ids minted in the same ms still sort in creation order.
 * Random bytes come from a pooled buffer: a request id must not cost a syscall.
 */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const POOL_SIZE = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

let lastTime = -1;
/** The encoded `lastTime`: requests in the same millisecond share it. */
let lastTimePart = "";
const lastRandom = new Uint8Array(10);

function fillRandom(target: Uint8Array): void {
  if (poolOffset + target.length > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  for (let i = 0; i < target.length; i++) target[i] = pool[poolOffset++]!;
}

/** Adds one to the 80-bit random part; on the (astronomically rare) overflow, re-randomizes. */
function incrementRandom(): void {
  for (let i = lastRandom.length - 1; i >= 0; i--) {
    if (lastRandom[i]! < 255) {
      lastRandom[i]!++;
      return;
    }
    lastRandom[i] = 0;
  }
  fillRandom(lastRandom);
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

export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom();
  } else {
    lastTime = now;
    lastTimePart = encodeTime(now);
    fillRandom(lastRandom);
  }
  return lastTimePart + encodeRandom(lastRandom);
}

const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export function isUlid(value: string): boolean {
  return ULID_PATTERN.test(value);
}
