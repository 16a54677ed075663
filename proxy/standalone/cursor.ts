import { createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "../http/api-error.js";
import type { ListPosition } from "../store/types.js";

/**
 * Opaque keyset cursors for `GET /v1/jobs`: the position of the last job of a page,
 * bound to the account and filters it was issued for and signed with the store's
 * secret (shared by every instance over one store), so a cursor the server did not
 * issue (or issued for other filters) is `400 invalid_cursor`.
 */
export class CursorCodec {
  private secret: Promise<Uint8Array> | undefined;

  constructor(private readonly loadSecret: () => Promise<Uint8Array>) {}

  async encode(position: ListPosition, scope: string): Promise<string> {
    const payload = Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
    return `${payload}.${await this.sign(payload, scope)}`;
  }

  async decode(cursor: string, scope: string): Promise<ListPosition> {
    const invalid = new ApiError("invalid_cursor", "cursor is not one this server issued for these filters; start again without a cursor");
    const dot = cursor.indexOf(".");
    if (dot <= 0 || cursor.length > 512) throw invalid;
    const payload = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), "base64url");
    const expected = Buffer.from(await this.sign(payload, scope), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as [unknown, unknown];
      if (typeof createdAt !== "number" || typeof id !== "string") throw invalid;
      return { createdAt, id };
    } catch {
      throw invalid;
    }
  }

  private async sign(payload: string, scope: string): Promise<string> {
    // Loaded once; a failed load is retried by the next request.
    this.secret ??= this.loadSecret().catch((error: unknown) => {
      this.secret = undefined;
      throw error;
    });
    const secret = await this.secret;
    return createHmac("sha256", secret).update(scope).update("\0").update(payload).digest().subarray(0, 16).toString("base64url");
  }
}
