import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { ApiError } from "./api-error.js";
import type { ListPosition } from "./store/types.js";

/**
 * Opaque keyset cursors for `GET /v1/jobs`: the position of the last job of a page,
 * bound to the account and filters it was issued for and signed, so a cursor the
 * server did not issue (or issued for other filters) is `400 invalid_cursor`.
 */
export class CursorCodec {
  constructor(private readonly secret: Buffer = randomBytes(32)) {}

  encode(position: ListPosition, scope: string): string {
    const payload = Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
    return `${payload}.${this.sign(payload, scope)}`;
  }

  decode(cursor: string, scope: string): ListPosition {
    const invalid = new ApiError(
      "invalid_cursor",
      "cursor is not one this server issued for these filters; start again without a cursor",
    );
    const dot = cursor.indexOf(".");
    if (dot <= 0 || cursor.length > 512) throw invalid;
    const payload = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), "base64url");
    const expected = Buffer.from(this.sign(payload, scope), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as [unknown, unknown];
      if (typeof createdAt !== "number" || typeof id !== "string") throw invalid;
      return { createdAt, id };
    } catch {
      throw invalid;
    }
  }

  private sign(payload: string, scope: string): string {
    return createHmac("sha256", this.secret).update(scope).update("\0").update(payload).digest().subarray(0, 16).toString("base64url");
  }
}
